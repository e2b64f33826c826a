import Foundation
import PinionBenchmarks
import PinionController
import PinionModels
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// A requester that got no answer sends the task again (issue #14, item 9: the fleet's
/// requester does so after a timeout). The gateway that has the task answers it again from its
/// journal, without computing it again, and takes a task that a kill -9 left recorded as received
/// but not journaled.
@Suite("pinion run: tasks sent again over MQTT (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct MQTTTaskRetryTests {
    @Test func aTaskSentAgainIsAnsweredAgainFromTheJournalNotComputedAgain() async throws {
        try await BlockingCall.run("retry scenario") {
            let broker = try MosquittoBroker()
            let gateway = try Self.gateway(broker)
            defer { gateway.remove() }
            let replies = try Subscriber(port: broker.port, topic: "replies/#", clientID: "rep-\(UUID().uuidString.prefix(8))")
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { process.terminate(); process.waitUntilExit() }
            Thread.sleep(forTimeInterval: 0.5)  // subscribed

            let task = try Self.task("again-1")
            try MQTTTaskIntakeTests.publishOne(broker.port, task)
            let first = replies.lines(atLeast: 1, within: 30)
            #expect(first.count == 1, "\(first)")
            // The requester did not get that answer (say): it sends the task again.
            try MQTTTaskIntakeTests.publishOne(broker.port, task)
            let both = replies.lines(atLeast: 2, within: 15)
            #expect(both.count == 2, "a task sent again is answered again: \(both.map { $0.prefix(120) })")
            if both.count == 2 {
                let answers = both.map(Self.json)
                #expect(answers[0]["state"] as? String == "done" && answers[1]["state"] as? String == "done")
                #expect(answers[0]["finishedAt"] as? Double == answers[1]["finishedAt"] as? Double,
                        "the same result, from the journal: \(answers.map { $0["finishedAt"] ?? "-" })")
            }
            try Self.expectOneReceipt(for: "again-1", in: gateway)
        }
    }

    @Test func aTaskRecordedAsReceivedButNotJournaledIsTakenWhenSentAgain() async throws {
        try await BlockingCall.run("lost window scenario") {
            let broker = try MosquittoBroker()
            let gateway = try Self.gateway(broker)
            defer { gateway.remove() }
            // What a kill -9 between the intake's record of a message and the journal's leaves.
            let outbox = try Outbox(path: gateway.directory.appendingPathComponent("outbox.sqlite").path)
            let recorded = try runBlocking { try await outbox.recordIntake(taskID: "window-1", replyTo: "replies/window-1") }
            #expect(recorded)
            let replies = try Subscriber(port: broker.port, topic: "replies/#", clientID: "rep-\(UUID().uuidString.prefix(8))")
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { process.terminate(); process.waitUntilExit() }
            Thread.sleep(forTimeInterval: 0.5)  // subscribed

            try MQTTTaskIntakeTests.publishOne(broker.port, try Self.task("window-1"))
            // The answer the last run owed its delivery and the answer to this one may both go
            // (each delivery is answered; which comes first is a race): the same result, computed once.
            _ = replies.lines(atLeast: 1, within: 20)
            Thread.sleep(forTimeInterval: 1)
            let answers = replies.lines(atLeast: 2, within: 0).map(Self.json)
            #expect(!answers.isEmpty, "the task is taken and answered")
            #expect(answers.allSatisfy { $0["state"] as? String == "done" }, "\(answers)")
            #expect(Set(answers.compactMap { $0["finishedAt"] as? Double }).count == 1, "one computation: \(answers)")
            try Self.expectOneReceipt(for: "window-1", in: gateway)
        }
    }

    static func gateway(_ broker: MosquittoBroker) throws -> TestGateway {
        try TestGateway("retry", upstream: (broker.port, """
            topic_prefix = "fleet"
            telemetry = "off"
            tasks = "jobs/digits"
            tasks_share = "workers"
            """))
    }

    static func task(_ id: String) throws -> String {
        let input = try DigitsDataset.testSplit()[5].input.map { String($0) }.joined(separator: ",")
        return "{\"id\":\"\(id)\",\"model\":\"digits\",\"input\":[\(input)],\"reply_to\":\"replies/\(id)\"}"
    }

    static func json(_ line: String) -> [String: Any] {
        let payload = line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
    }

    /// Receipts are written about a second after their task is done: waits for the first, then
    /// long enough for a second to appear.
    static func expectOneReceipt(for id: String, in gateway: TestGateway) throws {
        func receipts() -> Int { (try? LedgerReceiptCount.count(path: gateway.ledger).perTask[id]) ?? 0 }
        let deadline = Date().addingTimeInterval(10)
        while receipts() == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        Thread.sleep(forTimeInterval: 1.5)
        #expect(receipts() == 1, "one receipt for \(id) in \(gateway.ledger), \(receipts()) found")
    }
}
