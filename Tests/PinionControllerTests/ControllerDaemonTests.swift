import Foundation
import Glibc
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionModels
import PinionSystem
import Synchronization
import Testing

@Suite("The controller daemon in-process")
struct ControllerDaemonTests {
    /// A `ControllerDaemon` built on the simulated gateway, with its state in a temporary
    /// directory: it links the emulated boards, runs a task submitted over its API socket, writes
    /// its receipt in the ledger, and on SIGTERM (given to its stop signal) shuts down cleanly.
    @Test func runsATaskAndStopsCleanly() async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))
        let gateway = SimulatedGateway(catalogue: catalogue)
        defer { gateway.shutdown() }
        let directory = URL(fileURLWithPath: "/tmp/pinion-daemon-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("pinion.sock").path
        let ledgerPath = directory.appendingPathComponent("ledger.jsonl").path
        let configuration = try GatewayConfiguration.parse("""
            [sampling]
            power_hz = 100
            temperature_hz = 1

            [scheduler]
            journal = "\(directory.path)/journal.sqlite"

            [api]
            socket = "\(socket)"

            [ledger]
            identity = "\(directory.path)/identity.pem"
            path = "\(ledgerPath)"

            \(SimulatedGateway.sensorsTOML)
            """, file: "daemon test")
        let settings = ControllerDaemon.Settings(configuration: configuration, configurationPath: nil, catalogue: catalogue,
                                                 host: gateway.usb, buses: gateway.i2c, version: "test", emulated: true,
                                                 metrics: ControllerMetrics(), systemd: nil, watchdogInterval: nil)
        let lines = Mutex<[(String, Logger.Level)]>([])
        let attached = Mutex<[String]>([])
        let energyReports = Mutex(0)
        let output = ControllerDaemon.Output(
            log: { line, level in lines.withLock { $0.append((line, level)) } },
            boardLogger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, samplerEvents: nil,
            boardEvent: { event in if case .attached(let device) = event { attached.withLock { $0.append(device.serial ?? "?") } } },
            energy: { _ in energyReports.withLock { $0 += 1 } })

        let daemon = try await ControllerDaemon.start(settings, output: output)
        let (signals, sendSignal) = AsyncStream.makeStream(of: Int32.self)
        let running = Task { try await daemon.run(until: StopSignal(signals: signals)) }

        let client = ControllerClient(socketPath: socket)
        let sample = try DigitsDataset.testSplit()[0]
        let request = SubmitRequest(tasks: [.init(id: "daemon-test-1", model: "digits", input: sample.input.map(Int.init))])
        var submitted: SubmitResponse?
        for _ in 0..<200 where submitted == nil {
            submitted = try? await BlockingCall.run("submit") { try client.post("/v1/tasks", request, as: SubmitResponse.self) }
            if submitted == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(submitted?.tasks.map(\.status) == ["accepted"])
        var view: TaskView?
        for _ in 0..<400 where view?.state != "done" {
            try await Task.sleep(for: .milliseconds(50))
            view = try? await BlockingCall.run("task") { try client.get("/v1/tasks/daemon-test-1", as: TaskView.self) }
        }
        #expect(view?.state == "done")
        #expect(view?.prediction == sample.label)
        let board = try #require(view?.board)
        #expect(attached.withLock { $0 }.contains(board))

        sendSignal.yield(SIGTERM)
        try await running.value

        let said = lines.withLock { $0 }
        #expect(said.first?.0 == "pinion test starting with emulated boards and sensors")
        #expect(said.contains { $0.0 == "watching for boards (Ctrl-C to stop)" })
        #expect(said.contains { $0.0 == "stopping (SIGTERM)" })
        #expect(said.filter { $0.1 >= .warning }.map(\.0) == [])
        #expect(energyReports.withLock { $0 } == 1, "the energy report at stop")
        #expect(!FileManager.default.fileExists(atPath: socket), "the API socket is removed at stop")
        let ledger = try String(contentsOfFile: ledgerPath, encoding: .utf8)
        #expect(ledger.contains(#"\"task\":\"daemon-test-1\""#), "the task's receipt is in the ledger")
    }
}
