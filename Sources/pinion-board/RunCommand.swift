import ArgumentParser
import Foundation
import PinionBoardFirmware
import PinionBoards
import PinionFirmware
import PinionI2C
import PinionI2CLinux
import PinionSensors

/// `pinion-board run`: the board's firmware, until SIGTERM or SIGINT.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Bind the board gadget and serve the host until stopped.",
        discussion: """
            Needs root (configfs and mount), configfs mounted, and the libcomposite and usb_f_fs \
            modules loaded. Stops cleanly on SIGTERM or SIGINT: the gadget is unbound and removed.
            """)

    @Option(help: "The board descriptor (TOML) whose ids, strings and [flash] settings the gadget presents.")
    var board = "/usr/share/pinion/boards/pinion-board.toml"

    @Option(help: "The serial number the board reports (default: the machine id's first 12 characters).")
    var serial: String?

    @Option(help: "The USB device controller to bind (a name in /sys/class/udc; default: the only one).")
    var udc: String?

    @Option(help: "Where the last image taken over DFU is kept.")
    var stateDirectory = "/var/lib/pinion-board"

    @Option(help: "A command run with the stored image's path after each DFU download, to install it (e.g. a RAUC or swupdate call).")
    var installCommand: String?

    @Option(help: "The thermal zone whose temperature TELEMETRY reports.")
    var thermalZone = "/sys/class/thermal/thermal_zone0"

    @Option(help: "A power monitor for TELEMETRY's watts: TYPE@/dev/i2c-N:ADDRESS, e.g. ina226@/dev/i2c-1:0x40.")
    var powerMonitor: String?

    @Option(help: "The power monitor's shunt resistance, ohms.")
    var shuntOhms: Double = 0.01

    @Option(help: "What runs models: interpreter (Pinion's int8 reference) or exec (a worker process, see --exec).")
    var backend = "interpreter"

    @Option(help: "The exec backend's worker command line (split at spaces).")
    var exec: String?

    @Option(help: "Model formats the exec backend's worker runs (comma-separated).")
    var execFormats = "pinion-int8"

    @Option(help: "INFER requests held at once; more are answered BUSY.")
    var maxInFlight = 16

    @Option(help: "Threads running inferences at once (default: CPUs online).")
    var workers: Int?

    @Option(help: "The firmware version reported until an image with a version is stored (major.minor).")
    var firmwareVersion = "1.0"

    @Option(help: "Names the configfs gadgets and FunctionFS instances.")
    var name = "pinion-board"

    func run() throws {
        let descriptor: BoardDescriptor
        do {
            descriptor = try BoardDescriptorLoader.load(path: board)
        } catch {
            throw ValidationError("\(error)")
        }
        guard let udc = udc ?? Self.onlyController() else {
            throw ValidationError("no USB device controller in /sys/class/udc (load your UDC driver, or dummy_hcd to test); or name one with --udc")
        }
        let serial = serial ?? Self.machineSerial()
        let telemetry = BoardTelemetrySource(thermalZone: FileManager.default.fileExists(atPath: thermalZone) ? thermalZone : nil,
                                             powerMonitor: try powerMonitor.map(makePowerMonitor))
        let inference: any InferenceBackend
        switch backend {
        case "interpreter":
            inference = InterpreterBackend()
        case "exec":
            guard let exec, !exec.isEmpty else { throw ValidationError("--backend exec needs --exec 'COMMAND ARGS'") }
            inference = ExecBackend(command: exec.split(separator: " ").map(String.init),
                                  modelFormats: execFormats.split(separator: ",").map(String.init))
        default:
            throw ValidationError("--backend: '\(backend)' is not interpreter or exec")
        }
        guard let version = BCDVersion.parse(firmwareVersion) else { throw ValidationError("--firmware-version: '\(firmwareVersion)' is not major.minor") }
        let log: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("pinion-board: \(line)\n".utf8)) }
        let identity = BoardFirmware.Identity(firmwareVersion: "", serial: serial,
                                              memoryBytes: UInt64(max(descriptor.capabilities.memoryMiB, 1)) << 20,
                                              macsPerSecond: UInt64(descriptor.capabilities.peakTOPS * 5e11), maxInFlight: maxInFlight)
        let store = FirmwareStore(directory: stateDirectory, installCommand: installCommand.map { $0.split(separator: " ").map(String.init) })
        let workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        let gadget: BoardGadget
        do {
            gadget = try BoardGadget(.init(board: descriptor, serial: serial, udc: udc, name: name), store: store, firmwareVersion: version,
                                     log: log) { send, reset in
                var identity = identity
                let stored = store.load().flatMap(BCDVersion.of(image:)) ?? version
                identity.firmwareVersion = BCDVersion.string(stored)
                return BoardFirmware(identity: identity, backend: inference, workers: workers, send: send,
                                     telemetry: { telemetry.read() }, onReset: reset)
            }
        } catch {
            throw ValidationError("\(error)")
        }
        StopSignals.wait()
        log("stopping: unbinding \(udc)")
        gadget.stop()
        (inference as? ExecBackend)?.stop()
    }

    private func makePowerMonitor(_ text: String) throws -> any Sensor {
        let parts = text.split(separator: "@", maxSplits: 1)
        let location = parts.count == 2 ? parts[1].split(separator: ":") : []
        guard parts.count == 2, location.count == 2, let address = I2CAddress(parsing: String(location[1])) else {
            throw ValidationError("--power-monitor: '\(text)' is not TYPE@/dev/i2c-N:ADDRESS")
        }
        do {
            let bus = try LinuxI2CBus(path: String(location[0]))
            let spec = try SensorSpec(typeName: String(parts[0]), address: address, shuntOhms: shuntOhms, bus: bus.name)
            let sensor = try SensorFactory.makeSensor(for: spec, bus: bus)
            try sensor.prepare()
            return sensor
        } catch {
            throw ValidationError("--power-monitor \(text): \(error)")
        }
    }

    static func onlyController() -> String? {
        let controllers = GadgetConfigFS.controllers()
        return controllers.count == 1 ? controllers[0] : nil
    }

    static func machineSerial() -> String {
        let id = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return id.isEmpty ? "PINION-BOARD" : String(id.prefix(12)).uppercased()
    }
}
