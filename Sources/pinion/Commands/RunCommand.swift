import ArgumentParser
import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionSensors
import PinionUSB
import PinionUSBLinux

/// `pinion run`: the controller. It inventories boards and I2C buses, reports boards as they
/// arrive and leave, and samples the configured sensors (a service per bus) into energy per
/// rail and board; scheduling and upstream reporting join it as they are built.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the controller: find boards and sensors, then watch boards arrive and leave until stopped.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print events as JSON lines.")
    var json = false

    @Option(help: ArgumentHelp("Report energy per rail and board every this many seconds (and at stop).", valueName: "seconds"))
    var energyReport: Double = 60

    func validate() throws {
        if energyReport <= 0 { throw ValidationError("--energy-report takes a positive number of seconds") }
    }

    func run() async throws {
        let hardware = try Hardware(global)
        let host: any USBHost
        switch hardware.usb {
        case .success(let usb): host = usb
        case .failure(let error):
            let reason = USBAvailability.probe().explanation ?? "libusb could not start: \(error)"
            throw ValidationError("no USB: \(reason); use --simulate to run against emulated boards")
        }
        let settings = ControllerDaemon.Settings(configuration: try global.gatewayConfiguration(),
                                                 configurationPath: GatewayConfiguration.path(explicit: global.configPath),
                                                 catalogue: hardware.catalogue, host: host, buses: hardware.i2c, version: PinionVersion.string,
                                                 emulated: global.simulate, energyReportSeconds: energyReport)
        let printer = self
        let output = ControllerDaemon.Output(log: leveledLogSink(), boardLogger: Self.logger(json: json), samplerEvents: SamplerEventLog(json: json),
                                             boardEvent: { printer.report($0) }, energy: { printer.reportEnergy($0) })
        let daemon = try await ControllerDaemon.start(settings, output: output)
        let stop = StopSignal.install([SIGINT, SIGTERM, SIGHUP])
        let boardSignals = hardware.simulation.map { SimulatedBoardSignals.install(SimulatedBoardSwitch(gateway: $0), log: logSink()) } ?? []
        var failure: (any Error)?
        do {
            try await daemon.run(until: stop)
        } catch {
            failure = error
        }
        hardware.shutdown()
        withExtendedLifetime((daemon, boardSignals)) {}
        if let failure { throw CommandError("\(failure)") }
    }

    /// Board-link messages as log lines on standard output (standard error with --json).
    private static func logger(json: Bool) -> Logger {
        Logger(label: "pinion.boards") { _ in LineLogHandler(json: json) }
    }

    /// One line per rail (energy, covered time, gaps) and per board (energy, idle).
    private func reportEnergy(_ meter: EnergyMeter) {
        let rails = meter.rails
        let ledger = meter.ledger
        if json {
            struct Rail: Encodable { var sensor: String; var joules: Double; var coveredSeconds: Double; var gaps: [EnergyGap] }
            struct Line: Encodable {
                var event = "energy"; var rails: [Rail]; var boards: [String: Double]; var idle: [String: Double]
                var tasks: [String: Double]; var models: [String: Double]; var days: [String: Double]
            }
            try? JSONOutput.printLine(Line(rails: rails.map { Rail(sensor: $0.source.description, joules: $0.joules, coveredSeconds: $0.coveredSeconds, gaps: $0.gaps) },
                                           boards: ledger.perBoard, idle: ledger.idlePerBoard, tasks: ledger.perTask, models: ledger.perModel,
                                           days: ledger.perDay))
            return
        }
        for rail in rails {
            let gaps = rail.gaps.isEmpty ? "no gaps" : "\(rail.gaps.count) gaps (\(String(format: "%.1f", rail.gaps.reduce(0) { $0 + $1.seconds })) s unmeasured)"
            log("energy: \(rail.source) \(String(format: "%.3f", rail.joules)) J over \(String(format: "%.1f", rail.coveredSeconds)) s, \(gaps)")
        }
        for (board, joules) in ledger.perBoard.sorted(by: { $0.key < $1.key }) {
            log("energy: board \(board) \(String(format: "%.3f", joules)) J, idle \(String(format: "%.3f", ledger.idlePerBoard[board] ?? 0)) J")
        }
        for (model, joules) in ledger.perModel.sorted(by: { $0.key < $1.key }) {
            log("energy: model \(model) \(String(format: "%.3f", joules)) J")
        }
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

    /// Human-readable progress: standard output, or standard error when standard output carries
    /// JSON lines; with the level's priority when that is the journal (`LogOutput`).
    private func log(_ message: String, level: Logger.Level = .info) {
        LogOutput.write(message, level: level, toStandardError: json)
    }

    /// `log` as a value, for callbacks: each line at info level.
    private func logSink() -> @Sendable (String) -> Void {
        { [json] message in LogOutput.write(message, level: .info, toStandardError: json) }
    }

    /// `log` as a value, for callbacks that give each line its level.
    private func leveledLogSink() -> @Sendable (String, Logger.Level) -> Void {
        { [json] message, level in LogOutput.write(message, level: level, toStandardError: json) }
    }
}
