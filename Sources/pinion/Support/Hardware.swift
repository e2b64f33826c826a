import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionI2C
import PinionI2CLinux
import PinionUSB
import PinionUSBLinux

/// What a command works on: the board catalogue, a USB host and the I2C buses, either the
/// machine's (libusb, i2c-dev) or the simulated gateway's under `--simulate`.
struct Hardware {
    let catalogue: BoardCatalogue
    /// The USB host, or why there is none (libusb could not start).
    let usb: Result<any USBHost, USBError>
    let i2c: any I2CBusProvider
    /// The emulated gateway under `--simulate`.
    let simulation: SimulatedGateway?

    init(_ options: GlobalOptions, needsUSB: Bool = true) throws {
        let directories = BoardCatalogue.searchPath(explicit: options.boardsDirectory)
        catalogue = try BoardCatalogue.load(directories: directories)
        for problem in catalogue.problems {
            LogOutput.write("warning: \(problem)", level: .warning, toStandardError: true)
        }
        var taps: [any USBTap] = []
        // swift-log's lines (the HTTP server's, --verbose traces) go to standard error: with their
        // priority and without a timestamp when it is the journal's stream, else as swift-log writes them.
        let level: Logger.Level = options.verbose ? .trace : .info
        if LogOutput.standardErrorIsJournal {
            LoggingSystem.bootstrap { JournalLogHandler(label: $0, logLevel: level) }
        } else if options.verbose {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        if options.verbose { taps.append(USBTraceTap(logger: Logger(label: "pinion.usb"))) }
        if options.simulate {
            let gateway = SimulatedGateway(catalogue: catalogue, taps: taps)
            simulation = gateway
            try SimulatedBoardFaults.apply(to: gateway)
            usb = .success(gateway.usb)
            i2c = gateway.i2c
        } else {
            simulation = nil
            if needsUSB {
                do {
                    usb = .success(try LibUSBHost(taps: taps, debug: ProcessInfo.processInfo.environment["PINION_LIBUSB_DEBUG"] != nil))
                } catch {
                    usb = .failure(error)
                }
            } else {
                usb = .failure(USBError(.notSupported, operation: "open USB", detail: "(not needed by this command)"))
            }
            i2c = I2CBusDirectory()
        }
    }

    /// One line per I2C bus for the controller's start-up report.
    func i2cSummary() -> [String] {
        i2c.summaryLines()
    }

    func shutdown() {
        simulation?.shutdown()
    }
}

extension Hardware {
    /// The USB host, or a one-line error saying why there is none and what to do.
    func requireUSB() throws -> any USBHost {
        switch usb {
        case .success(let host): return host
        case .failure(let error):
            let reason = USBAvailability.probe().explanation ?? "libusb could not start: \(error)"
            throw CommandError("no USB: \(reason); use --simulate to work on emulated boards")
        }
    }
}
