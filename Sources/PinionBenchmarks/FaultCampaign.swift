import Foundation
import PinionController
import PinionEmulator
import PinionLedger
import PinionModels
import PinionScheduler
import PinionTestSupport

/// The fault campaign: `pinion run --simulate` under a stream of tasks while the campaign kills it
/// with SIGKILL at random points, fills its state file system (a tmpfs of its own), restarts the
/// MQTT broker and unplugs boards mid-task. At the end every accepted task must be done exactly
/// once with the reference output, with exactly one receipt each in a ledger that verifies, and
/// no restart may have needed a hand to repair anything.
public final class FaultCampaign {
    /// How many of each fault, how many tasks, and the random seed that places the faults.
    public struct Plan: Sendable {
        public var tasks = 20_000
        public var batch = 200
        public var kills = 50
        public var diskFulls = 5
        public var brokerRestarts = 3
        public var unplugs = 10
        public var seed: UInt64 = 1
        /// Size of the tmpfs that holds the state (what a full disk is).
        public var stateMegabytes = 64

        public init() {}
    }

    /// One check of the end state.
    public struct Check: Sendable {
        public let name: String
        public let passed: Bool
        public let detail: String
    }

    /// What happened and what the end state showed.
    public struct Outcome: Sendable {
        public var kills = 0
        public var diskFulls = 0
        public var brokerRestarts = 0
        public var unplugs = 0
        public var restarts = 0
        public var submissionsRefused = 0
        /// Times a controller said its ledger could not be written (a full disk that bit).
        public var ledgerWriteFailures = 0
        public var accepted = 0
        public var doneOnce = 0
        public var receipts = 0
        public var duplicateReceipts = 0
        public var missingReceipts = 0
        public var wrongOutputs = 0
        public var ledgerEntries = 0
        public var checks: [Check] = []
        public var seconds = 0.0
    }

    private let pinion: URL
    private let plan: Plan
    private let log: (String) -> Void
    private let gateway: SimulatedGatewayProcess
    private var work: URL { gateway.directory }
    private var state: URL { gateway.state }
    private var random: SplitMix64
    private var outcome = Outcome()

    /// - Parameters:
    ///   - pinion: the `pinion` executable to run.
    ///   - log: progress lines.
    public init(pinion: URL, plan: Plan, log: @escaping (String) -> Void) throws {
        self.pinion = pinion
        self.plan = plan
        self.log = log
        random = SplitMix64(seed: plan.seed)
        gateway = try SimulatedGatewayProcess(
            pinion: pinion, directory: FileManager.default.temporaryDirectory.appendingPathComponent("pinion-faults-\(UUID().uuidString.prefix(8))"))
    }

    /// Whether full-disk faults can run here: they need a tmpfs of their own, which needs root.
    public static var canFillDisk: Bool { getuid() == 0 }

    public func run() throws -> Outcome {
        let started = Date()
        defer { cleanUp() }
        var plan = self.plan
        if plan.diskFulls > 0 && !Self.canFillDisk {
            log("fault campaign: SKIPPING the \(plan.diskFulls) full-disk faults — they need root to mount a tmpfs of their own")
            plan.diskFulls = 0
        }
        if plan.diskFulls > 0 {
            try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(plan.stateMegabytes)m,mode=0750", "tmpfs", state.path])
        }
        let broker = try MosquittoBroker()
        try gateway.writeConfiguration(brokerPort: broker.port)
        let split = try DigitsDataset.testSplit()
        let tasks = (0..<plan.tasks).map { index in
            SubmitRequest.Task(id: "f\(index)", model: "digits", input: split[index % split.count].input.map(Int.init))
        }
        let batches = stride(from: 0, to: tasks.count, by: plan.batch).map { Array(tasks[$0..<min($0 + plan.batch, tasks.count)]) }
        var faults: [[Fault]] = Array(repeating: [], count: batches.count)
        let all = Array(repeating: Fault.kill, count: plan.kills) + Array(repeating: .diskFull, count: plan.diskFulls)
            + Array(repeating: .brokerRestart, count: plan.brokerRestarts) + Array(repeating: .unplug, count: plan.unplugs)
        for fault in all { faults[Int.random(in: 0..<batches.count, using: &random)].append(fault) }

        try startDaemon()
        var accepted = Set<String>()
        var unsent: [[SubmitRequest.Task]] = []
        for (index, batch) in batches.enumerated() {
            unsent.append(batch)
            unsent = submit(unsent, accepted: &accepted)
            if faults[index].contains(.diskFull) {
                // The disk fills up while this batch runs and is receipted, and the next one
                // arrives while it is full.
                let next = index + 1 < batches.count ? [batches[index + 1]] : []
                try whileDiskIsFull { unsent += submit(next, accepted: &accepted) }
            }
            for fault in faults[index] where fault != .diskFull {
                // A random moment: tasks are queued, in flight on boards, or being receipted.
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.02, using: &random))
                try inject(fault, broker: broker)
            }
            if index % 20 == 19 { log("fault campaign: \(index + 1)/\(batches.count) batches, \(accepted.count) tasks accepted, \(outcome.kills) kills so far") }
        }
        let deadline = Date().addingTimeInterval(120)
        while !unsent.isEmpty && Date() < deadline {
            unsent = submit(unsent, accepted: &accepted)
            if !unsent.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
        }
        outcome.accepted = accepted.count
        try waitUntilDone(count: accepted.count)
        try stopDaemon()
        try examine(accepted: accepted, expected: Dictionary(uniqueKeysWithValues: tasks.map { ($0.id!, $0) }), split: split,
                    unsentLeft: unsent.joined().count)
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }

    private enum Fault { case kill, diskFull, brokerRestart, unplug }

    // MARK: faults

    private func inject(_ fault: Fault, broker: MosquittoBroker) throws {
        switch fault {
        case .kill:
            guard gateway.process != nil else { return }
            gateway.kill9()
            outcome.kills += 1
            try startDaemon()
        case .diskFull:
            break
        case .brokerRestart:
            broker.stop()
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...1, using: &random))
            try broker.start()
            outcome.brokerRestarts += 1
        case .unplug:
            guard let process = gateway.process else { return }
            kill(process.processIdentifier, SIGUSR1)
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.4, using: &random))
            kill(process.processIdentifier, SIGUSR2)
            outcome.unplugs += 1
        }
    }

    /// Fills the state file system, runs `work` (submissions) against the full disk, lets the
    /// controller try to write receipts and the outbox for two seconds, then frees the space. The
    /// controller must live through it.
    private func whileDiskIsFull(_ work: () -> Void) throws {
        outcome.diskFulls += 1
        let filler = state.appendingPathComponent("filler")
        fill(filler)
        work()
        // Receipts are written about a second after their task is done: long enough for them to meet the full disk.
        Thread.sleep(forTimeInterval: 2)
        if let process = gateway.process, !process.isRunning {
            throw CampaignError("the controller died while the disk was full (status \(process.terminationStatus)); see \(lastLog)")
        }
        try FileManager.default.removeItem(at: filler)
    }

    /// Writes zeros to `path` until the file system is full.
    private func fill(_ path: URL) {
        let descriptor = open(path.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0, count: 1 << 16)
        while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        // Whatever the last partial page allows, too.
        while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, 512) }) > 0 {}
    }

    // MARK: the controller

    private var client: ControllerClient { gateway.client }
    private var lastLog: String { gateway.lastLog }

    private func startDaemon() throws {
        outcome.restarts += 1
        try gateway.start()
    }

    private func stopDaemon() throws { try gateway.stop() }

    /// Sends each batch; returns those to send again (no answer, or an answer that did not accept
    /// every task). A task counts as accepted when the controller said `accepted` or `duplicate`.
    private func submit(_ batches: [[SubmitRequest.Task]], accepted: inout Set<String>) -> [[SubmitRequest.Task]] {
        var again: [[SubmitRequest.Task]] = []
        for batch in batches {
            guard let response = try? client.post("/v1/tasks", SubmitRequest(tasks: batch), as: SubmitResponse.self) else {
                outcome.submissionsRefused += 1
                again.append(batch)
                continue
            }
            let taken = Set(response.tasks.filter { $0.status == "accepted" || $0.status == "duplicate" }.map(\.id))
            accepted.formUnion(taken)
            let left = batch.filter { !taken.contains($0.id!) }
            if !left.isEmpty { again.append(left) }
        }
        return again
    }

    private func waitUntilDone(count: Int) throws {
        let deadline = Date().addingTimeInterval(180)
        var done = 0
        while Date() < deadline {
            if let list = try? client.get("/v1/tasks?limit=1", as: TaskList.self) {
                done = list.counts["done"] ?? 0
                if done >= count { return }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw CampaignError("only \(done) of \(count) accepted tasks were done within 180 s of the last submission; see \(lastLog)")
    }

    // MARK: the end state

    private func examine(accepted: Set<String>, expected: [String: SubmitRequest.Task], split: [DigitsDataset.Sample],
                         unsentLeft: Int) throws {
        let journal = try TaskJournal(path: gateway.journal)
        let records = try runBlocking { try await journal.recent(limit: expected.count + 1) }
        var byID: [String: TaskRecord] = [:]
        for record in records { byID[record.task.id] = record }
        let done = accepted.filter { byID[$0]?.state == .done }
        outcome.doneOnce = done.count
        outcome.wrongOutputs = done.filter { id in
            let index = Int(id.dropFirst())!
            return byID[id]?.result?.output.map { Int(Int8(bitPattern: $0)) } != split[index % split.count].referenceLogits.map(Int.init)
        }.count

        let ledger = gateway.ledger
        let (entries, receiptsPerTask) = try gateway.receiptsPerTask()
        outcome.ledgerEntries = entries
        outcome.receipts = receiptsPerTask.values.reduce(0, +)
        outcome.duplicateReceipts = receiptsPerTask.values.filter { $0 > 1 }.reduce(0) { $0 + $1 - 1 }
        outcome.missingReceipts = accepted.filter { receiptsPerTask[$0] == nil }.count
        let verify = try ProgramRun(pinion.path, ["ledger", "verify", ledger])
        outcome.ledgerWriteFailures = gateway.allLogs().components(separatedBy: "ledger: cannot write").count - 1

        func check(_ name: String, _ passed: Bool, _ detail: String) { outcome.checks.append(Check(name: name, passed: passed, detail: detail)) }
        check("every task sent was accepted", unsentLeft == 0 && accepted.count == expected.count,
              "\(accepted.count) of \(expected.count) accepted, \(unsentLeft) never accepted")
        check("every accepted task done", done.count == accepted.count, "\(done.count) of \(accepted.count) done")
        check("outputs equal the reference", outcome.wrongOutputs == 0, "\(outcome.wrongOutputs) wrong")
        check("one receipt per task", outcome.duplicateReceipts == 0 && outcome.missingReceipts == 0 && outcome.receipts == accepted.count,
              "\(outcome.receipts) receipts for \(accepted.count) tasks (\(outcome.duplicateReceipts) duplicates, \(outcome.missingReceipts) missing)")
        check("pinion ledger verify", verify.status == 0,
              (verify.status == 0 ? verify.stdout : verify.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        check("no restart needed a hand", true, "\(outcome.restarts) starts, all came up by themselves")
    }

    private func cleanUp() {
        gateway.kill9()
        if plan.diskFulls > 0 && Self.canFillDisk { _ = try? ProgramRun("/bin/umount", [state.path]) }
        if outcome.checks.allSatisfy(\.passed) && !outcome.checks.isEmpty { try? FileManager.default.removeItem(at: work) }
    }

    private func run(_ executable: String, _ arguments: [String]) throws {
        let run = try ProgramRun(executable, arguments)
        guard run.status == 0 else { throw CampaignError("\(executable) \(arguments.joined(separator: " ")): \(run.stderr)") }
    }
}

/// The campaign could not go on; one line, with where to look.
public struct CampaignError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
