import Foundation
import Glibc
import PinionController
import PinionEmulator
import PinionModels
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// `systemctl reload pinion`: SIGHUP makes `pinion run` read its configuration file again and apply
/// it without a restart — sampling rates and the placement policy at once, restart-only keys named,
/// a broken file named with its line while the running configuration stays — losing no task.
@Suite("pinion run: configuration reload on SIGHUP")
struct ConfigurationReloadTests {
    @Test func sighupAppliesTheNewSamplingRateAndPolicyAndEveryTaskGetsItsReceipt() async throws {
        try await BlockingCall.run("reload") {
            let gateway = try TestGateway("reload", extra: Self.sampling(powerHz: 100))
            defer { gateway.remove() }
            let listener = try NotifyListener(path: gateway.directory.appendingPathComponent("notify").path, abstract: false)
            let daemon = try Daemon(gateway, environment: ["NOTIFY_SOCKET": gateway.directory.appendingPathComponent("notify").path])
            defer { daemon.stop() }
            #expect(try listener.waitFor(within: 30) { $0.hasPrefix("READY=1") } != nil)

            let before = try Self.status(gateway)
            #expect(before.sampling?.powerHz == 100)
            #expect(before.scheduler.policy == "energy-aware")
            // Two rail monitors at 100 Hz and two thermometers at 1 Hz: up to 202 samples a second
            // (a loaded machine reads fewer: a sampler skips the slots it overran, it does not burst).
            let rateBefore = try Self.sampleRate(gateway, seconds: 1)
            #expect(rateBefore > 30, "\(rateBefore) samples/s at 100 Hz")

            let split = try DigitsDataset.testSplit()
            let tasks = (0..<600).map { SubmitRequest.Task(id: "r\($0)", model: "digits", input: split[$0 % split.count].input.map(Int.init)) }
            _ = try gateway.client.post("/v1/tasks", SubmitRequest(tasks: Array(tasks[..<300])), as: SubmitResponse.self)

            try Self.rewrite(gateway, Self.sampling(powerHz: 10, sensors: 3), policy: "round-robin")
            listener.drain()
            kill(daemon.process.processIdentifier, SIGHUP)
            #expect(try listener.waitFor(within: 10) { $0.hasPrefix("RELOADING=1") } != nil, "no RELOADING=1")
            #expect(try listener.waitFor(within: 10) { $0.hasPrefix("READY=1") } != nil, "no READY=1 after the reload")
            _ = try gateway.client.post("/v1/tasks", SubmitRequest(tasks: Array(tasks[300...])), as: SubmitResponse.self)

            let after = try Self.status(gateway)
            #expect(after.sampling?.powerHz == 10)
            #expect(after.sampling?.sensors == 3)
            #expect(after.scheduler.policy == "round-robin")
            // Now at most 21 samples a second: two rail monitors at 10 Hz, one thermometer at 1 Hz
            // (more than 25 could only be the old rate).
            let rateAfter = try Self.sampleRate(gateway, seconds: 2)
            #expect(rateAfter > 5 && rateAfter < 25, "\(rateAfter) samples/s at 10 Hz (\(rateBefore) at 100 Hz)")
            let shown = try PinionProcess.run(["status", "--socket", gateway.socket])
            #expect(shown.stdout.contains("sampling: 3 sensors, power 10 Hz, temperature 1 Hz; "), "\(shown.stdout)")
            #expect(shown.stdout.contains("policy round-robin;"), "\(shown.stdout)")
            #expect(daemon.process.isRunning)
            let log = try daemon.waitForLog(containing: "configuration reloaded:")
            #expect(log.contains("configuration reloaded: sampling.power_hz 100 → 10, sensors (4 → 3 entries), scheduler.policy energy-aware → round-robin"), "\(log)")
            #expect(!log.contains("take effect after a restart"), "\(log)")

            try ControllerRestartTests.waitFor(gateway.client, done: 600)
            daemon.stop()
            #expect(daemon.process.terminationStatus == 0)
            let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
            #expect(verify.stdout.contains("(600 compute receipts"), "\(verify.stdout) \(verify.stderr)")
        }
    }

    @Test func aBrokenFileOnSIGHUPIsNamedWithItsLineAndTheRunningConfigurationStays() async throws {
        try await BlockingCall.run("reload") {
            let gateway = try TestGateway("reload-broken", extra: Self.sampling(powerHz: 100))
            defer { gateway.remove() }
            let daemon = try Daemon(gateway)
            defer { daemon.stop() }
            try Self.waitUntilServing(gateway)
            let text = try String(contentsOf: gateway.config, encoding: .utf8)
            let broken = text.replacingOccurrences(of: "power_hz = 100", with: "power_hz = 10\n[sampling")
            try broken.write(to: gateway.config, atomically: true, encoding: .utf8)
            let brokenLine = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "[sampling" }! + 1

            kill(daemon.process.processIdentifier, SIGHUP)
            let log = try daemon.waitForLog(containing: "reload failed")
            let line = try #require(log.split(separator: "\n").first { $0.contains("reload failed") })
            #expect(line.contains("\(gateway.config.path): line \(brokenLine)"), "\(line)")
            #expect(line.hasSuffix("the running configuration stays in force"), "\(line)")
            #expect(daemon.process.isRunning)
            #expect(try Self.status(gateway).sampling?.powerHz == 100)

            // Fixed, a second SIGHUP applies it.
            try Self.rewrite(gateway, Self.sampling(powerHz: 10))
            kill(daemon.process.processIdentifier, SIGHUP)
            _ = try daemon.waitForLog(containing: "configuration reloaded:")
            #expect(try Self.status(gateway).sampling?.powerHz == 10)
            daemon.stop()
            #expect(daemon.process.terminationStatus == 0)
        }
    }

    @Test func aChangedRestartOnlyKeyIsNamedInOneLineAndKeepsItsRunningValue() async throws {
        try await BlockingCall.run("reload") {
            let gateway = try TestGateway("reload-restart", extra: Self.sampling(powerHz: 100))
            defer { gateway.remove() }
            let daemon = try Daemon(gateway)
            defer { daemon.stop() }
            try Self.waitUntilServing(gateway)
            let moved = gateway.directory.appendingPathComponent("moved.sock").path
            let text = try String(contentsOf: gateway.config, encoding: .utf8)
                .replacingOccurrences(of: "socket = \"\(gateway.socket)\"", with: "socket = \"\(moved)\"")
                .replacingOccurrences(of: "[ledger]\n", with: "[ledger]\nenergy_report_s = 5\n")
            try text.write(to: gateway.config, atomically: true, encoding: .utf8)

            kill(daemon.process.processIdentifier, SIGHUP)
            let log = try daemon.waitForLog(containing: "configuration reloaded:")
            let lines = log.split(separator: "\n").filter { $0.contains("after a restart") }
            #expect(lines == ["reload: api.socket, ledger.energy_report_s changed; they take effect after a restart"], "\(log)")
            #expect(log.contains("configuration reloaded: nothing to apply now"), "\(log)")
            // The API stays where it was.
            #expect(try Self.status(gateway).sampling?.powerHz == 100)
            #expect(!FileManager.default.fileExists(atPath: moved))
            // Still not applied: a second reload names them again.
            kill(daemon.process.processIdentifier, SIGHUP)
            try daemon.waitUntil { $0.components(separatedBy: "take effect after a restart").count == 3 }
            daemon.stop()
            #expect(daemon.process.terminationStatus == 0)
        }
    }

    /// JSON telemetry shares the durable connection; Sparkplug has a connection of its own: both move.
    @Test(.enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed"), arguments: ["json", "sparkplug"])
    func sighupMovesTheUpstreamLinkToTheNewBrokerAndWhatIsQueuedGoesThere(telemetry: String) async throws {
        try await BlockingCall.run("reload upstream") {
            let first = try MosquittoBroker()
            let second = try MosquittoBroker()
            let gateway = try TestGateway("reload-broker", upstream: (first.port, "topic_prefix = \"site\"\ntelemetry = \"\(telemetry)\"\ntelemetry_interval_s = 0.5"))
            defer { gateway.remove() }
            let json = telemetry == "json"
            // Sparkplug payloads are protobuf: its subscribers take topics only.
            let onFirst = try Subscriber(port: first.port, topic: json ? "site/+/state" : "spBv1.0/#", clientID: "sub-\(UUID().uuidString.prefix(8))",
                                         format: json ? "%t %p" : "%t")
            let onSecond = try Subscriber(port: second.port, topic: "site/#", clientID: "sub-\(UUID().uuidString.prefix(8))")
            let sparkplugOnSecond = try Subscriber(port: second.port, topic: "spBv1.0/#", clientID: "sub-\(UUID().uuidString.prefix(8))", format: "%t")
            let daemon = try Daemon(gateway)
            defer { daemon.stop() }
            try Self.waitUntilServing(gateway)
            try Self.waitForLink(gateway, broker: "127.0.0.1:\(first.port)")

            let text = try String(contentsOf: gateway.config, encoding: .utf8)
            try text.replacingOccurrences(of: "port = \(first.port)\n", with: "port = \(second.port)\n").write(to: gateway.config, atomically: true, encoding: .utf8)
            kill(daemon.process.processIdentifier, SIGHUP)
            let log = try daemon.waitForLog(containing: "configuration reloaded:")
            #expect(log.contains("configuration reloaded: upstream.port \(first.port) → \(second.port)"), "\(log)")
            #expect(!log.contains("take effect after a restart"), "\(log)")
            try Self.waitForLink(gateway, broker: "127.0.0.1:\(second.port)")
            // The gateway said goodbye on the broker it left.
            if json {
                let states = onFirst.lines(within: 5) { $0.contains { $0.hasSuffix(" offline") } }
                #expect(states.map { $0.split(separator: " ").last.map(String.init) } == ["online", "offline"], "\(states)")
            } else {
                let topics = onFirst.lines(within: 5) { $0.contains { $0.contains("/NDEATH/") } }
                #expect(topics.first?.contains("/NBIRTH/") == true && topics.last?.contains("/NDEATH/") == true, "\(topics)")
                let born = sparkplugOnSecond.lines(within: 10) { $0.contains { $0.contains("/NDATA/") } }
                #expect(born.first?.contains("/NBIRTH/") == true && born.contains { $0.contains("/NDATA/") }, "\(born)")
            }

            // Receipts of tasks submitted now are ledger entries queued in the outbox: they reach the new broker.
            let split = try DigitsDataset.testSplit()
            let tasks = (0..<20).map { SubmitRequest.Task(id: "u\($0)", model: "digits", input: split[$0].input.map(Int.init)) }
            _ = try gateway.client.post("/v1/tasks", SubmitRequest(tasks: tasks), as: SubmitResponse.self)
            try ControllerRestartTests.waitFor(gateway.client, done: 20)
            let lines = onSecond.lines(within: 15) { lines in
                (!json || lines.contains { $0.contains("/telemetry ") }) && lines.filter { $0.contains("/ledger ") && $0.contains(#"\"task\":\"u"#) }.count >= 20
            }
            if json {
                #expect(lines.contains { $0.hasSuffix("/state online") }, "\(lines.prefix(5))")
                #expect(lines.contains { $0.contains("/telemetry ") })
            }
            // A receipt is the ledger entry's JSON, its record a string within it: `\"task\":\"u0\"`.
            let receipts = lines.filter { $0.contains("/ledger ") && $0.contains(#"\"task\":\"u"#) }
            #expect(receipts.count == 20, "\(receipts.count) receipts of \(lines.count) lines on the new broker: \(lines.filter { $0.contains("/ledger ") }.prefix(2))")
            daemon.stop()
            #expect(daemon.process.terminationStatus == 0)
        }
    }

    // MARK: - Helpers

    /// Waits until `GET /v1/status` says the upstream link is up to `broker`.
    static func waitForLink(_ gateway: TestGateway, broker: String) throws {
        let deadline = Date().addingTimeInterval(15)
        var last: MQTTLinkStatus?
        while Date() < deadline {
            last = try? status(gateway).upstream
            if last?.broker == broker && last?.state == .connected { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLIError("the upstream link is not up to \(broker) within 15 s: \(String(describing: last))")
    }

    /// `[sampling]` at `powerHz` and the first `sensors` of the simulated gateway's four (two rail
    /// monitors, then two thermometers).
    static func sampling(powerHz: Int, sensors: Int = 4) -> String {
        let entries = SimulatedGateway.sensorsTOML.components(separatedBy: "[[sensors]]").dropFirst().prefix(sensors)
        return "[sampling]\npower_hz = \(powerHz)\ntemperature_hz = 1\n\n" + entries.map { "[[sensors]]" + $0 }.joined() + "\n"
    }

    /// Rewrites the gateway's `[sampling]` and sensors (and `[scheduler] policy`), keeping the rest.
    static func rewrite(_ gateway: TestGateway, _ sampling: String, policy: String? = nil) throws {
        var text = try String(contentsOf: gateway.config, encoding: .utf8)
        text = String(text[..<text.range(of: "[sampling]")!.lowerBound]) + sampling
        if let policy { text = text.replacingOccurrences(of: "[scheduler]\n", with: "[scheduler]\npolicy = \"\(policy)\"\n") }
        try text.write(to: gateway.config, atomically: true, encoding: .utf8)
    }

    static func status(_ gateway: TestGateway) throws -> ControllerStatus {
        try gateway.client.get("/v1/status", as: ControllerStatus.self)
    }

    static func waitUntilServing(_ gateway: TestGateway) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? status(gateway)) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLIError("pinion run did not answer on \(gateway.socket) within 30 s")
    }

    /// Samples per second the controller takes, counted by `GET /v1/status` over `seconds`.
    static func sampleRate(_ gateway: TestGateway, seconds: Double) throws -> Double {
        let first = try #require(try status(gateway).sampling?.samples)
        let start = Date()
        Thread.sleep(forTimeInterval: seconds)
        let last = try #require(try status(gateway).sampling?.samples)
        return Double(last - first) / Date().timeIntervalSince(start)
    }
}

/// `pinion run --simulate --config` on a test gateway, its standard output in `run.log` in the
/// gateway's directory.
struct Daemon {
    let process = Process()
    let output: URL

    /// - Parameter sharedOutput: standard error into the same file (as systemd gives both to the journal).
    init(_ gateway: TestGateway, environment: [String: String] = [:], sharedOutput: Bool = false) throws {
        output = gateway.directory.appendingPathComponent("run.log")
        // A file made before keeps its inode (the journal test names it in $JOURNAL_STREAM).
        if !FileManager.default.fileExists(atPath: output.path) { _ = FileManager.default.createFile(atPath: output.path, contents: nil) }
        process.executableURL = PinionProcess.executable
        process.arguments = ["run", "--simulate", "--config", gateway.config.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let file = try FileHandle(forWritingTo: output)
        process.standardOutput = file
        process.standardError = sharedOutput ? file : FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// The log, once `wanted` holds of it (within 15 s).
    @discardableResult
    func waitUntil(_ wanted: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let text = log
            if wanted(text) { return text }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLIError("pinion run's log did not show what was waited for within 15 s:\n\(log)")
    }

    func waitForLog(containing text: String) throws -> String {
        try waitUntil { $0.contains(text) }
    }

    /// SIGTERM, and waits for the exit.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
