import Foundation
import PinionEmulator
import PinionLedger
import PinionModels
import PinionTestSupport
import PinionUpstream

/// A fleet on one broker: N `pinion run --simulate` gateways, each with its own state and
/// configuration, take tasks from one mosquitto through the MQTT 5 shared subscription
/// `$share/fleet/fleet/tasks`. A requester publishes M tasks with ids and sends again those not
/// answered within a timeout; meanwhile gateways are killed -9 and started again and the broker
/// is restarted. At the end every task must have an answer at the requester with the reference
/// output, no gateway may have computed one id twice (one receipt per id per gateway), and each
/// gateway's ledger must verify from what the broker delivered (`pinion ledger verify --from-broker`).
///
/// The broker is the fleet's only shared part; nothing of Pinion's coordinates the gateways.
public final class FleetRun {
    /// The fleet's size, the stream, and the faults.
    public struct Plan: Sendable {
        public var gateways = 4
        public var tasks = 400
        /// Tasks published at a time, with `pauseSeconds` between batches (faults fall between them).
        public var batch = 20
        public var pauseSeconds = 0.1
        public var killsPerGateway = 1
        public var brokerRestarts = 1
        /// A task unanswered this long after it was (last) sent is sent again.
        public var retryAfterSeconds = 5.0
        /// Give up when the tasks are not all answered this long after the first was sent.
        public var deadlineSeconds = 120.0
        public var seed: UInt64 = 1

        public init() {}
    }

    /// One gateway's part.
    public struct Gateway: Sendable {
        public var key = ""
        public var starts = 0
        /// Receipts in its ledger (tasks it computed), warm-up tasks included.
        public var receipts = 0
        /// Ids with more than one receipt in its ledger: computed twice on one gateway.
        public var computedTwice = 0
        public var ledgerEntries = 0
        /// Ledger entries `pinion ledger verify --from-broker` received and verified for it.
        public var verifiedFromBroker = 0
        /// Distinct tasks of the stream it answered.
        public var answered = 0
    }

    /// What happened and what the end state showed.
    public struct Outcome: Sendable {
        public var tasks = 0
        /// Tasks published again after `retryAfterSeconds` without an answer.
        public var retries = 0
        public var kills = 0
        public var brokerRestarts = 0
        /// Answers received, duplicates included, and distinct tasks answered.
        public var answers = 0
        public var answeredTasks = 0
        /// Answers beyond the first for an id from a gateway that had answered it already: the
        /// same result sent again (a retry or a redelivery answered from its journal, or its outbox
        /// sending again what the broker had not acknowledged), not a computation.
        public var duplicatesFromSameGateway = 0
        /// Answers beyond the first for an id from another gateway (a retry that went elsewhere).
        public var duplicatesFromOtherGateways = 0
        /// Tasks that more than one gateway computed (each once), because a retry went elsewhere.
        public var computedOnTwoOrMore = 0
        public var wrongOutputs = 0
        /// From the first task published to the last task's first answer.
        public var seconds = 0.0
        public var tasksPerSecond: Double { seconds > 0 ? Double(answeredTasks) / seconds : 0 }
        public var gateways: [Gateway] = []
        public var checks: [FaultCampaign.Check] = []
        public var passed: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }
    }

    public static let taskTopic = "fleet/tasks"

    private let pinion: URL
    private let plan: Plan
    private let log: (String) -> Void
    private let work: URL
    private var random: SplitMix64
    private var outcome = Outcome()

    /// - Parameters:
    ///   - pinion: the `pinion` executable the gateways run.
    ///   - log: progress lines.
    public init(pinion: URL, plan: Plan, log: @escaping (String) -> Void) {
        self.pinion = pinion
        self.plan = plan
        self.log = log
        random = SplitMix64(seed: plan.seed)
        work = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-fleet-\(UUID().uuidString.prefix(8))")
    }

    public func run() throws -> Outcome {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let gateways = try (0..<plan.gateways).map { index in
            let gateway = try SimulatedGatewayProcess(pinion: pinion, directory: work.appendingPathComponent("gateway-\(index)"))
            try gateway.writeConfiguration(brokerPort: broker.port, upstreamKeys: """
                topic_prefix = "fleet"
                telemetry = "off"
                tasks = "\(Self.taskTopic)"
                tasks_share = "fleet"
                """)
            return gateway
        }
        defer {
            for gateway in gateways { gateway.kill9() }
            if outcome.passed { try? FileManager.default.removeItem(at: work) }
        }
        // The auditor's persistent session exists before any gateway publishes, so the broker
        // keeps every ledger entry for it (across the broker's restart too).
        let auditor = "fleet-auditor-\(UUID().uuidString.prefix(8))"
        _ = try ProgramRun(pinion.path, auditArguments(config: gateways[0].config, session: auditor, wait: 0.5))
        for gateway in gateways { try gateway.start() }
        let requester = try FleetRequester(brokerPort: broker.port, taskTopic: Self.taskTopic, name: "fleet-requester-\(UUID().uuidString.prefix(8))")
        defer { requester.disconnect() }
        try requester.waitUntilConnected()
        try warmUp(requester, gateways: gateways.count)

        let split = try DigitsDataset.testSplit()
        let ids = (0..<plan.tasks).map { "t\($0)" }
        func input(_ id: String) -> [Int] { split[Int(id.dropFirst())! % split.count].input.map(Int.init) }
        let batches = stride(from: 0, to: ids.count, by: plan.batch).map { Array(ids[$0..<min($0 + plan.batch, ids.count)]) }
        let faults = placeFaults(batches: batches.count)
        var lastSent: [String: Date] = [:]
        func retryOverdue() {
            let answered = requester.answeredIDs
            let now = Date()
            for (id, sent) in lastSent where !answered.contains(id) && now.timeIntervalSince(sent) >= plan.retryAfterSeconds {
                requester.send(id: id, input: input(id))
                lastSent[id] = now
                outcome.retries += 1
            }
        }

        let started = Date()
        for (index, batch) in batches.enumerated() {
            for id in batch {
                requester.send(id: id, input: input(id))
                lastSent[id] = Date()
            }
            for fault in faults[index] {
                switch fault {
                case .kill(let number):
                    gateways[number].kill9()
                    outcome.kills += 1
                    log("fleet: killed gateway \(number) (-9) after \(index + 1) of \(batches.count) batches; starting it again")
                    try gateways[number].start()
                case .brokerRestart:
                    broker.stop()
                    Thread.sleep(forTimeInterval: 0.5)
                    try broker.start()
                    outcome.brokerRestarts += 1
                    log("fleet: restarted the broker after \(index + 1) of \(batches.count) batches")
                }
            }
            retryOverdue()
            if plan.pauseSeconds > 0 { Thread.sleep(forTimeInterval: plan.pauseSeconds) }
        }
        let all = Set(ids)
        while !all.isSubset(of: requester.answeredIDs) && Date().timeIntervalSince(started) < plan.deadlineSeconds {
            retryOverdue()
            Thread.sleep(forTimeInterval: 0.005)
        }
        outcome.seconds = Date().timeIntervalSince(started)
        outcome.tasks = ids.count
        try settle(gateways)
        let audit = try ProgramRun(pinion.path, auditArguments(config: gateways[0].config, session: auditor, wait: 2))
        for gateway in gateways { try gateway.stop() }
        try examine(requester.received, ids: ids, split: split, gateways: gateways, audit: audit, unreadable: requester.unreadableAnswers)
        return outcome
    }

    private enum Fault { case kill(Int), brokerRestart }

    /// Each gateway's kills and the broker's restarts at random batches, none in the first or last.
    private func placeFaults(batches: Int) -> [[Fault]] {
        var faults: [[Fault]] = Array(repeating: [], count: batches)
        guard batches > 2 else { return faults }
        let kills = (0..<plan.gateways).flatMap { Array(repeating: Fault.kill($0), count: plan.killsPerGateway) }
        for fault in kills + Array(repeating: .brokerRestart, count: plan.brokerRestarts) {
            faults[Int.random(in: 1..<(batches - 1), using: &random)].append(fault)
        }
        return faults
    }

    /// Sends warm-up tasks until every gateway has answered one: then each has subscribed (a
    /// shared subscription delivers only to subscribers that are there), and the stream's first
    /// tasks do not pay for the first connection.
    private func warmUp(_ requester: FleetRequester, gateways: Int) throws {
        let input = try DigitsDataset.testSplit()[0].input.map(Int.init)
        let deadline = Date().addingTimeInterval(60)
        var round = 0
        while Date() < deadline {
            for index in 0..<(2 * gateways) { requester.send(id: "warm-\(round)-\(index)", input: input) }
            round += 1
            let roundEnds = Date().addingTimeInterval(3)
            while Date() < roundEnds {
                let answering = Set(requester.received.filter { $0.key.hasPrefix("warm-") }.values.joined().map(\.gateway))
                if answering.count >= gateways { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        throw CampaignError("fleet: not every gateway answered a warm-up task within 60 s; see the logs in \(work.path)")
    }

    /// Waits until every gateway has written its receipts and its outbox has sent everything
    /// (ledger entries, answers) to the broker.
    private func settle(_ gateways: [SimulatedGatewayProcess]) throws {
        let deadline = Date().addingTimeInterval(60)
        var previous: [Int] = []
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 1)
            let entries = try gateways.map { try $0.receiptsPerTask().entries }
            let queued = try gateways.map(\.outbox).map { path in try runBlocking { try await Outbox(path: path).count() } }
            if entries == previous && queued.allSatisfy({ $0 == 0 }) { return }
            previous = entries
        }
        throw CampaignError("fleet: the gateways' ledgers or outboxes were still changing 60 s after the last answer; see \(work.path)")
    }

    private func auditArguments(config: URL, session: String, wait: Double) -> [String] {
        ["ledger", "verify", "--from-broker", "--config", config.path, "--session", session, "--wait", "\(wait)"]
    }

    // MARK: the end state

    private func examine(_ received: [String: [FleetRequester.Answer]], ids: [String], split: [DigitsDataset.Sample],
                         gateways: [SimulatedGatewayProcess], audit: ProgramRun, unreadable: Int) throws {
        let stream = received.filter { $0.key.hasPrefix("t") }
        outcome.answers = stream.values.map(\.count).reduce(0, +)
        outcome.answeredTasks = Set(ids).intersection(stream.keys).count
        var answeredBy: [String: Set<String>] = [:]
        for (id, answers) in stream {
            var seen = Set<String>()
            for answer in answers {
                if !seen.insert(answer.gateway).inserted {
                    outcome.duplicatesFromSameGateway += 1
                } else if seen.count > 1 {
                    outcome.duplicatesFromOtherGateways += 1
                }
                answeredBy[answer.gateway, default: []].insert(id)
            }
            let reference = split[Int(id.dropFirst())! % split.count].referenceLogits.map(Int.init)
            if answers.contains(where: { $0.state != "done" || $0.output != reference }) { outcome.wrongOutputs += 1 }
        }

        var receiptsPerTask: [String: Int] = [:]
        var unverified: [String] = []
        var answeredWithoutReceipt = 0
        for gateway in gateways {
            var figures = Gateway()
            figures.starts = gateway.starts
            let (entries, perTask) = try gateway.receiptsPerTask()
            figures.ledgerEntries = entries
            figures.receipts = perTask.values.reduce(0, +)
            figures.computedTwice = perTask.values.filter { $0 > 1 }.count
            for id in perTask.keys where id.hasPrefix("t") { receiptsPerTask[id, default: 0] += 1 }
            do {
                figures.key = try LedgerVerifier.verify(path: gateway.ledger).gateway ?? ""
            } catch {
                unverified.append("\(gateway.ledger): \(error)")
            }
            figures.answered = answeredBy[figures.key]?.count ?? 0
            answeredWithoutReceipt += (answeredBy[figures.key] ?? []).subtracting(perTask.keys).count
            // "fleet/<key>/ledger: ok: 812 entries seq 0…811 (…"
            let line = audit.stdout.split(separator: "\n").first { $0.hasPrefix("fleet/\(figures.key)/ledger: ok: ") }
            figures.verifiedFromBroker = line.flatMap { Int($0.split(separator: " ")[2]) } ?? 0
            outcome.gateways.append(figures)
        }
        outcome.computedOnTwoOrMore = receiptsPerTask.values.filter { $0 > 1 }.count

        func check(_ name: String, _ passed: Bool, _ detail: String) { outcome.checks.append(FaultCampaign.Check(name: name, passed: passed, detail: detail)) }
        let missing = Set(ids).subtracting(stream.keys)
        check("every task answered at the requester", missing.isEmpty,
              "\(outcome.answeredTasks) of \(ids.count) answered" + (missing.isEmpty ? "" : "; none for \(missing.sorted().prefix(10).joined(separator: ", "))"))
        check("exactly one answer per task after de-duplicating by id", outcome.answeredTasks == ids.count && stream.count == ids.count,
              "\(stream.count) distinct ids answered for \(ids.count) tasks; \(outcome.answers) answers in all")
        check("every answer is done with the reference output", outcome.wrongOutputs == 0 && unreadable == 0,
              "\(outcome.wrongOutputs) tasks with a wrong or failed answer, \(unreadable) answers that were not JSON answers")
        let twice = outcome.gateways.map(\.computedTwice).reduce(0, +)
        check("one receipt per task id per gateway (no id computed twice on one gateway)", twice == 0,
              "\(twice) ids with two receipts on one gateway; \(outcome.computedOnTwoOrMore) ids computed once on each of two gateways (a retry that went elsewhere)")
        check("every answer comes from a gateway that holds its receipt", answeredWithoutReceipt == 0,
              "\(answeredWithoutReceipt) answers without a receipt on the gateway that sent them")
        check("every task computed somewhere", receiptsPerTask.count == ids.count, "\(receiptsPerTask.count) of \(ids.count) tasks have a receipt")
        check("each gateway's ledger file verifies", unverified.isEmpty, unverified.isEmpty ? "\(gateways.count) ledgers" : unverified.joined(separator: "; "))
        let short = outcome.gateways.filter { $0.verifiedFromBroker != $0.ledgerEntries }
        check("each gateway's ledger verifies from the broker (pinion ledger verify --from-broker)", audit.status == 0 && short.isEmpty,
              audit.status == 0 && short.isEmpty
                ? outcome.gateways.map { "\($0.verifiedFromBroker) entries" }.joined(separator: ", ")
                : "exit \(audit.status): \(audit.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); broker/file entries "
                    + outcome.gateways.map { "\($0.verifiedFromBroker)/\($0.ledgerEntries)" }.joined(separator: ", "))
    }
}
