import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PinionEmulator
import PinionTestSupport
import Synchronization

/// Pinion at rest next to two daemons a gateway commonly runs, started side by side in one run so
/// they share the machine's conditions: `pinion run` with no hardware, `pinion run --simulate`
/// (the simulated gateway: emulated boards, sensors sampled at 100 Hz), prometheus-node-exporter
/// (scraped every `scrapeSeconds`, as Prometheus would) and mosquitto (its own configuration on a
/// free loopback port). After `settleSeconds` each one's CPU time is taken over `measureSeconds`
/// and its memory at the end of that window (`ProcessFootprint`).
public struct FootprintRun {
    /// What to start and how long to wait.
    public struct Plan: Sendable {
        public var pinion: URL
        public var nodeExporter = "/usr/bin/prometheus-node-exporter"
        public var mosquitto = "/usr/sbin/mosquitto"
        public var settleSeconds = 10.0
        public var measureSeconds = 30.0
        /// Seconds between scrapes of the node exporter (0: never scraped).
        public var scrapeSeconds = 15.0
        /// The simulated gateway's power sampling rate.
        public var powerHertz = 100.0

        public init(pinion: URL) { self.pinion = pinion }
    }

    /// One process's figures.
    public struct Row: Sendable {
        public let name: String
        /// Memory at the end of the window.
        public let memory: ProcessFootprint
        public let coreFraction: Double
        public let threads: Int
    }

    public let plan: Plan
    private let log: (String) -> Void

    public init(plan: Plan, log: @escaping (String) -> Void) {
        self.plan = plan
        self.log = log
    }

    /// The four processes' figures, in the order above; every process started is stopped.
    public func run() throws -> (rows: [Row], scrapes: Int) {
        for executable in [plan.pinion.path, plan.nodeExporter, plan.mosquitto] where !FileManager.default.isExecutableFile(atPath: executable) {
            throw FootprintError("no executable at \(executable)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-footprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var helpers: [Process] = []
        defer { for process in helpers { Self.stop(process) } }

        let bare = try SimulatedGatewayProcess(pinion: plan.pinion, directory: directory.appendingPathComponent("pinion"), simulate: false)
        try bare.writeLocalConfiguration()
        let simulated = try SimulatedGatewayProcess(pinion: plan.pinion, directory: directory.appendingPathComponent("pinion-simulate"))
        try simulated.writeLocalConfiguration(Self.samplingTOML(powerHertz: plan.powerHertz))
        try bare.start()
        defer { try? bare.stop() }
        try simulated.start()
        defer { try? simulated.stop() }

        let exporterPort = MosquittoBroker.freePort()
        let exporter = try Self.start(plan.nodeExporter, ["--web.listen-address=127.0.0.1:\(exporterPort)"],
                                      log: directory.appendingPathComponent("node-exporter.log"))
        helpers.append(exporter)
        try Self.waitForListener(exporter, port: exporterPort, name: "prometheus-node-exporter")

        let brokerPort = MosquittoBroker.freePort()
        let brokerConfig = directory.appendingPathComponent("mosquitto.conf")
        try Self.mosquittoConfiguration(port: brokerPort, directory: directory).write(to: brokerConfig, atomically: true, encoding: .utf8)
        let broker = try Self.start(plan.mosquitto, ["-c", brokerConfig.path], log: directory.appendingPathComponent("mosquitto.log"))
        helpers.append(broker)
        try Self.waitForListener(broker, port: brokerPort, name: "mosquitto")

        let processes: [(String, Int32)] = [
            ("pinion run (no hardware)", bare.process!.processIdentifier),
            ("pinion run --simulate (\(Int(plan.powerHertz)) Hz)", simulated.process!.processIdentifier),
            ("prometheus-node-exporter", exporter.processIdentifier),
            ("mosquitto", broker.processIdentifier),
        ]
        log("started: " + processes.map { "\($0.0) pid \($0.1)" }.joined(separator: ", ") + "; settling \(Int(plan.settleSeconds)) s")

        var scrapes = 0
        let start = Date()
        var nextScrape = start
        func wait(until end: Date) throws {
            while Date() < end {
                if plan.scrapeSeconds > 0 && Date() >= nextScrape {
                    try Self.scrape(port: exporterPort)
                    scrapes += 1
                    nextScrape = nextScrape.addingTimeInterval(plan.scrapeSeconds)
                }
                let until = plan.scrapeSeconds > 0 ? min(end, nextScrape) : end
                Thread.sleep(forTimeInterval: max(0, until.timeIntervalSinceNow))
            }
        }
        try wait(until: start.addingTimeInterval(plan.settleSeconds))
        let before = try processes.map { try ProcessFootprint(pid: $0.1) }
        let windowStart = Date()
        try wait(until: windowStart.addingTimeInterval(plan.measureSeconds))
        let after = try processes.map { try ProcessFootprint(pid: $0.1) }
        let seconds = Date().timeIntervalSince(windowStart)
        let rows = processes.indices.map { index in
            Row(name: processes[index].0, memory: after[index],
                coreFraction: ProcessFootprint.coreFraction(from: before[index], to: after[index], seconds: seconds),
                threads: (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(processes[index].1)/task").count) ?? 0)
        }
        return (rows, scrapes)
    }

    /// The simulated gateway's sampling and sensors, at `powerHertz` (its built-in configuration
    /// has the same at 100 Hz).
    static func samplingTOML(powerHertz: Double) -> String {
        "[sampling]\npower_hz = \(powerHertz)\ntemperature_hz = 1\n\n" + SimulatedGateway.sensorsTOML + "\n"
    }

    /// mosquitto as a packaged install runs it: anonymous clients on one listener, persistence on
    /// (saved every 30 minutes, mosquitto's default), here on loopback and in a directory of its own.
    static func mosquittoConfiguration(port: Int, directory: URL) -> String {
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        return ["listener \(port) 127.0.0.1", "allow_anonymous true", "user \(user)",
                "persistence true", "persistence_location \(directory.path)/"].joined(separator: "\n") + "\n"
    }

    static func start(_ executable: String, _ arguments: [String], log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// SIGTERM, then SIGKILL after 5 s: a child started from a thread that blocks SIGTERM (as the
    /// concurrency pool's threads do) inherits the blocked signal, and mosquitto never unblocks it.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    }

    static func waitForListener(_ process: Process, port: Int, name: String) throws {
        for _ in 0..<500 {
            if !process.isRunning { throw FootprintError("\(name) exited \(process.terminationStatus) before it listened on 127.0.0.1:\(port)") }
            if MosquittoBroker.canConnect(port) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw FootprintError("\(name) did not listen on 127.0.0.1:\(port) within 10 s")
    }

    /// One GET of /metrics, read to the end.
    static func scrape(port: Int) throws {
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        let outcome = ScrapeOutcome()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: url) { data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.set(error.map { "\($0)" } ?? (status == 200 && !(data ?? Data()).isEmpty ? nil : "HTTP \(status)"))
            done.signal()
        }.resume()
        done.wait()
        if let problem = outcome.problem { throw FootprintError("scraping the node exporter at \(url) failed: \(problem)") }
    }
}

/// What one scrape ended with, handed from URLSession's queue to the waiting thread.
private final class ScrapeOutcome: Sendable {
    private let value = Mutex<String?>(nil)
    func set(_ problem: String?) { value.withLock { $0 = problem } }
    var problem: String? { value.withLock { $0 } }
}
