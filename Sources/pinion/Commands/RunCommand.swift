import ArgumentParser
import Foundation
import PinionBoards
import PinionUSB

/// `pinion run`: the controller. Today it inventories boards and I2C buses and reports boards
/// as they arrive and leave; scheduling and upstream reporting join it as they are built.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the controller: find boards and sensors, then watch boards arrive and leave until stopped.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print events as JSON lines.")
    var json = false

    func run() async throws {
        let hardware = try Hardware(global)
        let host: any USBHost
        switch hardware.usb {
        case .success(let usb): host = usb
        case .failure(let error):
            let reason = USBAvailability.probe().explanation ?? "libusb could not start: \(error)"
            throw ValidationError("no USB: \(reason); use --simulate to run against emulated boards")
        }
        log("pinion \(PinionVersion.string) starting\(global.simulate ? " with emulated boards and sensors" : "")")
        for line in hardware.i2cSummary() { log(line) }
        let monitor = BoardMonitor(inventory: BoardInventory(catalogue: hardware.catalogue), host: host)
        let events = try monitor.events(includeExisting: true)
        let stop = StopSignal.install([SIGINT, SIGTERM])
        log("watching for boards (Ctrl-C to stop)")
        let watcher = Task {
            for await event in events {
                report(event)
            }
        }
        let signal = await stop.wait()
        watcher.cancel()
        log("stopping (\(signal == SIGTERM ? "SIGTERM" : "SIGINT"))")
        hardware.shutdown()
    }

    private func report(_ event: BoardEvent) {
        if json {
            struct Line: Encodable { var event: String; var device: AttachedDevice }
            let line: Line = switch event {
            case .attached(let device): Line(event: "attached", device: device)
            case .detached(let device): Line(event: "detached", device: device)
            }
            try? JSONOutput.printLine(line)
            return
        }
        switch event {
        case .attached(let d):
            log("board attached: \(d.path) \(d.id) \(d.board ?? "?") (\(d.mode?.rawValue ?? "-")) serial \(d.serial ?? "-") \(d.speed.rawValue)-speed")
        case .detached(let d):
            log("board detached: \(d.path) \(d.id) \(d.board ?? "?") serial \(d.serial ?? "-")")
        }
    }

    /// Human-readable progress: standard output, or standard error when standard output carries JSON lines.
    private func log(_ message: String) {
        (json ? FileHandle.standardError : FileHandle.standardOutput).write(Data((message + "\n").utf8))
    }
}
