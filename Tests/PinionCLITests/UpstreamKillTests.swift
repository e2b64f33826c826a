import Foundation
import PinionController
import PinionLedger
import PinionModels
import PinionSystem
import PinionTestSupport
import Testing

/// `pinion run` killed with SIGKILL while its ledger streams to the broker, then restarted: an
/// independent subscriber (persistent session, QoS 1) gets every ledger entry, seq 0…N without a
/// gap, in order of first arrival (duplicates allowed), and the chain it received verifies.
@Suite("pinion run: kill -9 mid-stream, ledger upstream (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct UpstreamKillTests {
    static let tasks = 500

    @Test func killedWhilePublishingThenRestartedTheBrokerGetsEveryEntryInOrder() async throws {
        try await BlockingCall.run("upstream kill -9 scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let broker = try MosquittoBroker()
        let gateway = try TestGateway("upstream-kill", scheduler: "policy = \"round-robin\"", upstream: (broker.port, "topic_prefix = \"gw-kill\""))
        defer { gateway.remove() }
        let subscriber = try Subscriber(port: broker.port, topic: "gw-kill/+/ledger", clientID: "sub-\(UUID().uuidString.prefix(8))")
        Thread.sleep(forTimeInterval: 0.3)
        let ledgerPath = gateway.ledger
        let config = gateway.config
        let client = gateway.client

        let first = try ControllerRestartTests.start(config: config, client: client)
        let split = try DigitsDataset.testSplit()
        func submit(_ range: Range<Int>) throws -> SubmitResponse {
            try client.post("/v1/tasks", SubmitRequest(tasks: range.map {
                SubmitRequest.Task(id: "s\($0)", model: "digits", input: split[$0 % split.count].input.map(Int.init))
            }), as: SubmitResponse.self)
        }
        // A first wave, and once its receipts stream to the broker, the rest; then the kill, while
        // those run and their receipts (written in groups) are still to come.
        let firstWave = try submit(0..<100)
        let beforeKill = subscriber.lines(atLeast: 40, within: 60).count
        let secondWave = try submit(100..<tasks)
        #expect((firstWave.tasks + secondWave.tasks).allSatisfy { $0.status == "accepted" })
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let ledgerAtKill = try ledgerLines(ledgerPath).count
        let receivedAtKill = try firstArrivals(subscriber.lines(atLeast: Int.max, within: 0.3)).count
        #expect(beforeKill >= 40, "the ledger was streaming before the kill (\(beforeKill) entries received)")
        #expect(ledgerAtKill < tasks, "the kill came before the last receipt (\(ledgerAtKill) in the ledger, \(receivedAtKill) received)")

        let second = try ControllerRestartTests.start(config: config, client: client)
        defer { second.terminate(); second.waitUntilExit() }
        try ControllerRestartTests.waitFor(client, done: tasks)
        // Every task's receipt is in the ledger, then at the broker.
        let deadline = Date().addingTimeInterval(60)
        var received: [LedgerEntry] = []
        var ledger: [Substring] = []
        while Date() < deadline {
            ledger = try ledgerLines(ledgerPath)
            received = try firstArrivals(subscriber.lines(atLeast: Int.max, within: 0.5))
            if ledger.count >= tasks && received.count >= ledger.count { break }
        }
        #expect(ledger.count == tasks, "one receipt per task in the ledger file")
        #expect(received.map(\.seq) == (0..<Int64(ledger.count)).map { Optional($0) }, "every seq, in order of first arrival, no gap")
        let summary = try LedgerVerifier.verify(received)
        #expect(summary.receipts == tasks)
        #expect(received.map(\.line) == ledger.map { Array($0.utf8) }, "what arrived is what the ledger file holds")
    }

    static func ledgerLines(_ path: String) throws -> [Substring] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    }

    /// Ledger entries from "topic payload" lines, each seq kept at its first arrival.
    static func firstArrivals(_ lines: [String]) throws -> [LedgerEntry] {
        var seen = Set<Int64>()
        return try lines.compactMap { line in
            let json = String(line.split(separator: " ", maxSplits: 1).last ?? "")
            let entry = try JSONDecoder().decode(LedgerEntry.self, from: Data(json.utf8))
            return seen.insert(entry.seq ?? -1).inserted ? entry : nil
        }
    }
}
