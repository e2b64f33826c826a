import Foundation
import PinionController
import PinionLedger
import PinionScheduler

/// One `pinion run --simulate` process (or, with `simulate` false, `pinion run` on the machine's
/// own USB and I2C) with a directory of its own: its configuration, API socket and logs
/// (`daemon-N.log`, one per start) in `directory`, its state (journal, ledger, identity, outbox)
/// in `state`. The fault campaign, the fleet run and the footprint run start, kill -9 and stop
/// gateways through it.
public final class SimulatedGatewayProcess {
    public let directory: URL
    /// Where the journal, ledger, identity and outbox live (the fault campaign mounts a tmpfs here).
    public let state: URL
    public let config: URL
    public let socket: String
    private let pinion: URL
    private let simulate: Bool
    /// The running process, if any.
    public private(set) var process: Process?
    /// How many times it was started (the number of the current log).
    public private(set) var starts = 0

    /// - Parameters:
    ///   - pinion: the `pinion` executable.
    ///   - directory: created if missing.
    ///   - simulate: `--simulate` (emulated boards and sensors); false runs on the real buses.
    public init(pinion: URL, directory: URL, simulate: Bool = true) throws {
        self.pinion = pinion
        self.simulate = simulate
        self.directory = directory
        state = directory.appendingPathComponent("state")
        config = directory.appendingPathComponent("pinion.toml")
        socket = directory.appendingPathComponent("api.sock").path
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    }

    public var ledger: String { state.appendingPathComponent("ledger.jsonl").path }
    public var journal: String { state.appendingPathComponent("journal.sqlite").path }
    public var outbox: String { state.appendingPathComponent("outbox.sqlite").path }
    public var client: ControllerClient { ControllerClient(socketPath: socket) }
    /// The log of the current (or last) start.
    public var lastLog: String { log(starts) }
    public func log(_ number: Int) -> String { directory.appendingPathComponent("daemon-\(number).log").path }

    /// The configuration's local part: state files in `state`, the API on `socket`.
    private var localKeys: String {
        """
        [scheduler]
        journal = "\(journal)"
        [api]
        socket = "\(socket)"
        [ledger]
        identity = "\(state.path)/identity.pem"
        path = "\(ledger)"

        """
    }

    /// Writes the configuration: state files in `state`, the API on `socket`, `[upstream]` to the
    /// broker on 127.0.0.1 with `upstreamKeys` added.
    public func writeConfiguration(brokerPort: Int, upstreamKeys: String = "") throws {
        let upstream = """
            [upstream]
            host = "127.0.0.1"
            port = \(brokerPort)
            outbox = "\(outbox)"
            \(upstreamKeys)

            """
        try (localKeys + upstream).write(to: config, atomically: true, encoding: .utf8)
    }

    /// Writes a configuration without `[upstream]`: state files in `state`, the API on `socket`,
    /// then `more` (sampling and sensors, say) as it is.
    public func writeLocalConfiguration(_ more: String = "") throws {
        try (localKeys + "\n\(more)\n").write(to: config, atomically: true, encoding: .utf8)
    }

    /// Starts `pinion run --simulate` and waits until its API shows the emulated boards (at most
    /// 60 s; without `simulate`, until its API answers). A controller that exits or does not answer is an error: a restart that needed a hand.
    public func start() throws {
        starts += 1
        _ = FileManager.default.createFile(atPath: lastLog, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: lastLog))
        let process = Process()
        process.executableURL = pinion
        process.arguments = ["run"] + (simulate ? ["--simulate"] : []) + ["--config", config.path]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning {
                throw CampaignError("the controller did not come back after a fault (exit \(process.terminationStatus)): a restart needed a hand; see \(lastLog)")
            }
            if let status = try? client.get("/v1/status", as: SchedulerStatus.self), status.boards.count >= (simulate ? 4 : 0) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CampaignError("the controller did not answer within 60 s of a start; see \(lastLog)")
    }

    /// SIGKILL (a power cut), waited for.
    public func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM; a controller that does not exit 0 is an error.
    public func stop() throws {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        if process.terminationStatus != 0 {
            throw CampaignError("the controller exited \(process.terminationStatus) on SIGTERM; see \(lastLog)")
        }
    }

    /// Every log of every start, concatenated.
    public func allLogs() -> String {
        guard starts > 0 else { return "" }
        return (1...starts).map { (try? String(contentsOfFile: log($0), encoding: .utf8)) ?? "" }.joined()
    }

    /// The compute receipts in the ledger file, per task id, and the number of entries.
    public func receiptsPerTask() throws -> (entries: Int, perTask: [String: Int]) {
        try LedgerReceiptCount.count(path: ledger)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// Counts the compute receipts in a ledger file, per task id.
public enum LedgerReceiptCount {
    public static func count(path: String) throws -> (entries: Int, perTask: [String: Int]) {
        var perTask: [String: Int] = [:]
        var entries = 0
        let decoder = JSONDecoder()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") {
            entries += 1
            guard let entry = try? decoder.decode(LedgerEntry.self, from: Data(line.utf8)),
                  let payload = try? decoder.decode(LedgerEntry.Payload.self, from: Data(entry.payload.utf8)),
                  let task = payload.body.receipt?.task else { continue }
            perTask[task, default: 0] += 1
        }
        return (entries, perTask)
    }
}
