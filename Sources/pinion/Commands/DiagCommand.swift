import ArgumentParser
import Foundation
import PinionBoardLink
import PinionBoards
import PinionController
import PinionFirmware
import PinionUSB

/// `pinion diag [BOARD...]`: checks boards and says pass, warn or fail for each check.
struct DiagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diag",
        abstract: "Diagnose boards: descriptors, link speed, mode, access, DFU state, USB errors, self-test.",
        discussion: """
            Boards that speak Pinion's board protocol also run a self-test: HELLO, load the bundled digit \
            classifier, run its 540 test images and compare every output bit for bit with the reference, \
            measure round-trip latency and throughput for --self-test-seconds, unload. Exit status 0 when \
            nothing failed, 1 when a check failed; each failed check is also said on standard error, in one \
            line that names the board. --bundle writes everything as JSON for support, with a \
            trace of each self-test.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "Boards (serial or USB path); all catalogued boards when none is given.")
    var boards: [String] = []

    @Option(help: ArgumentHelp("Write a support bundle (JSON) to this file.", valueName: "file"))
    var bundle: String?

    @Option(help: ArgumentHelp("Seconds the self-test measures latency and throughput (0: only the known vectors).", valueName: "seconds"))
    var selfTestSeconds = 2.0

    @Option(help: ArgumentHelp("Directory of firmware images: says whether a newer one is there for each board and whether it is signed by a trusted key (default: [firmware] directory of the configuration).",
                               valueName: "dir"))
    var firmwareDir: String?

    @Option(help: ArgumentHelp("Directory of trusted Ed25519 public keys (default: $PINION_TRUST_STORE, else [firmware] trust_store of the configuration, else /etc/pinion/trusted-keys).",
                               valueName: "dir"))
    var trustStore: String?

    func run() async throws {
        let hardware = try Hardware(global)
        defer { hardware.shutdown() }
        let host = try hardware.requireUSB()
        let inventory = BoardInventory(catalogue: hardware.catalogue)
        let infos = try host.devices(readStrings: true)
        let chosen = try boards.isEmpty
            ? infos.filter { inventory.identify($0).isKnown }
            : boards.map { selector in
                guard let info = infos.first(where: { $0.strings?.serialNumber == selector || $0.location.path == selector }) else {
                    throw CommandError("no board '\(selector)' is attached (serials and paths: pinion list --all)")
                }
                return info
            }
        guard !chosen.isEmpty else { throw CommandError("no catalogued board is attached (pinion list --all shows every USB device)") }
        let diagnostics = BoardDiagnostics(host: host, catalogue: hardware.catalogue)
        guard selfTestSeconds >= 0, selfTestSeconds.isFinite else { throw CommandError("--self-test-seconds must be 0 or more, not \(selfTestSeconds)") }
        var reports: [BoardReport] = []
        var selfTests: [String: BoardSelfTestReport] = [:]
        var telemetryReadings: [String: DiagBundle.Telemetry] = [:]
        var descriptors: [String: USBDeviceInfo] = [:]
        let configuration: Result<GatewayConfiguration, any Error> = Result { try global.gatewayConfiguration() }
        // [firmware] of the configuration gives the defaults of --firmware-dir and --trust-store.
        let configured = (try? configuration.get())?.firmware ?? FirmwareSettings()
        let firmware = try (firmwareDir ?? configured.directory).map {
            try DiagFirmware(directory: $0, trustStore: try FlashImage.trustStore(explicit: trustStore, configured: configured.trustStore),
                             limit: .largestFlash(in: hardware.catalogue))
        }
        for info in chosen {
            var report = await diagnostics.diagnose(info)
            descriptors[report.device.serial ?? report.device.path] = info
            guard let board = report.device.board.flatMap(hardware.catalogue.board(id:)) else { reports.append(report); continue }
            let speaksProtocol = board.execution.kind == .pinion && report.device.mode == .runtime
            if speaksProtocol {
                let outcome = await DiagSelfTest.run(host: host, info: info, measureFor: .milliseconds(Int((selfTestSeconds * 1000).rounded())))
                switch outcome.telemetry {
                case .success(let telemetry):
                    telemetryReadings[report.device.serial ?? report.device.path] = .init(celsius: telemetry.celsius, watts: telemetry.watts)
                    report.checks.append(DiagSensors.temperatureCheck(celsius: telemetry.celsius, limits: board.thermal))
                    report.checks.append(DiagSensors.powerCheck("board power", watts: telemetry.watts, budget: board.power))
                case .failure(let error):
                    report.checks.append(DiagnosticCheck("telemetry", .fail, "TELEMETRY failed: \(error)"))
                }
                selfTests[report.device.serial ?? report.device.path] = outcome.selfTest
                report.checks.append(DiagSelfTest.check(outcome.selfTest))
            } else if !board.sensors.isEmpty {
                report.checks.append(DiagnosticCheck("sensors", .skip, "\(board.sensors.count) on-board sensor(s): read over the board protocol, in run-time mode only"))
            }
            if let firmware, report.device.mode == .runtime {
                report.checks.append(firmware.check(deviceVersion: report.device.deviceVersion, board: board))
            }
            if let serial = report.device.serial {
                switch configuration {
                case .success(let configuration):
                    report.checks += await DiagSensors.railChecks(serial: serial, board: board, configuration: configuration, i2c: hardware.i2c)
                case .failure(let error):
                    report.checks.append(DiagnosticCheck("rails", .skip, "the gateway configuration cannot be read: \(error)"))
                }
            }
            reports.append(report)
        }

        if let bundle {
            var name = utsname()
            uname(&name)
            let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let contents = DiagBundle(kernel: kernel, catalogue: hardware.catalogue.directories,
                                      catalogueProblems: hardware.catalogue.problems.map(\.description), i2c: hardware.i2cSummary(),
                                      reports: reports, selfTests: selfTests, descriptors: descriptors, telemetry: telemetryReadings,
                                      configuration: DiagBundle.configuration(path: GatewayConfiguration.path(explicit: global.configPath),
                                                                              simulated: global.simulate),
                                      log: DiagBundle.recentLog())
            try write(contents, to: bundle)
        }
        if output.json {
            try JSONOutput.print(reports)
        } else {
            for report in reports {
                let d = report.device
                print("\(d.serial ?? d.path) \(d.board ?? d.id.description) at \(d.path): \(report.verdict.rawValue.uppercased())")
                for check in report.checks { print("  \(check.verdict.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(check.name): \(check.detail)") }
            }
            if let bundle { print("support bundle: \(bundle)") }
        }
        // Each failed check once more on standard error, in one line that names the board, for the
        // script or the log that only keeps that.
        for report in reports where report.verdict == .fail {
            let d = report.device
            for check in report.checks where check.verdict == .fail {
                LogOutput.write("pinion diag: \(d.serial ?? d.path) (\(d.board ?? d.id.description) at \(d.path)) failed \(check.name): \(check.detail)",
                                level: .error, toStandardError: true)
            }
        }
        if reports.contains(where: { $0.verdict == .fail }) { throw ExitCode(1) }
    }

    private func write(_ contents: DiagBundle, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: path, contents: try encoder.encode(contents)) else {
            throw CommandError("cannot write the support bundle to \(path)")
        }
    }
}
