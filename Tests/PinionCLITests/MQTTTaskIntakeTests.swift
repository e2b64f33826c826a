import Foundation
import PinionBenchmarks
import PinionController
import PinionModels
import PinionSystem
import PinionTestSupport
import Testing

/// Tasks over MQTT: two `pinion run --simulate` gateways share one task topic through a shared
/// subscription; every task is answered, a duplicate again from the journal of the gateway that
/// has it (never computed twice on one gateway), and bad messages are answered with an error.
@Suite("pinion run: tasks over MQTT (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct MQTTTaskIntakeTests {
    @Test func aFleetSharesTheTaskTopicAndAnswersEachTaskOnce() async throws {
        try await BlockingCall.run("intake scenario") { try Self.scenario() }
    }

    /// A message over `tasks_max_bytes` is refused unread; refusals go to the message's
    /// `reply_to` and are sent once however often the message is delivered; good tasks after
    /// them are answered as ever (issue #13, item 12).
    @Test func oversizedAndBadMessagesAreAnsweredOnceAndIntakeGoesOn() async throws {
        try await BlockingCall.run("size limit scenario") { try Self.sizeLimitScenario() }
    }

    static func sizeLimitScenario() throws {
        let broker = try MosquittoBroker()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let results = try Subscriber(port: broker.port, topic: "fleet/+/results", clientID: "res-\(UUID().uuidString.prefix(8))")
        let replies = try Subscriber(port: broker.port, topic: "replies/#", clientID: "rep-\(UUID().uuidString.prefix(8))")
        let (config, client) = try gateway("limit", broker: broker, in: directory, keys: "tasks_max_bytes = 4096")
        let process = try ControllerRestartTests.start(config: config, client: client)
        defer { process.terminate(); process.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)  // subscribed

        let digit = try DigitsDataset.testSplit()[3]
        let values = digit.input.map { String($0) }.joined(separator: ",")
        let big = "{\"id\":\"big\",\"model\":\"digits\",\"input\":[\(Array(repeating: "0", count: 50_000).joined(separator: ","))],\"reply_to\":\"replies/big\"}"
        let badInput = "{\"id\":\"bad-input\",\"model\":\"digits\",\"input\":[300],\"reply_to\":\"replies/bad\"}"
        let fraction = "{\"id\":\"fraction\",\"model\":\"digits\",\"input\":[1,1.5],\"reply_to\":\"replies/fraction\"}"
        let badID = "{\"id\":\"a b\",\"model\":\"digits\",\"input\":[\(values)],\"reply_to\":\"replies/id\"}"
        let good = "{\"id\":\"good\",\"model\":\"digits\",\"input\":[\(values)],\"reply_to\":\"replies/good\"}"
        for payload in [big, badInput, badInput, fraction, badID, badID, good] { try publishOne(broker.port, payload) }

        _ = replies.lines(within: 30) { lines in lines.contains { $0.hasPrefix("replies/good ") } && lines.count >= 4 }
        // Anything answered twice would arrive within this second.
        let answered = replies.lines(within: 1) { _ in false }
        func json(_ line: String) -> [String: Any] {
            let payload = line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
        }
        let byTopic = Dictionary(grouping: answered) { String($0.prefix { $0 != " " }) }
        #expect(byTopic["replies/bad"]?.count == 1, "a refusal delivered twice is answered once: \(byTopic)")
        #expect(byTopic["replies/id"]?.count == 1, "\(byTopic)")
        let bad = json(byTopic["replies/bad"]?.first ?? "")
        #expect(bad["id"] as? String == "bad-input" && bad["field"] as? String == "input[0]", "\(bad)")
        let fractional = json(byTopic["replies/fraction"]?.first ?? "")
        #expect(fractional["field"] as? String == "input[1]" && (fractional["error"] as? String)?.contains("1.5") == true, "\(fractional)")
        #expect(json(byTopic["replies/id"]?.first ?? "")["field"] as? String == "id")
        let done = json(byTopic["replies/good"]?.first ?? "")
        #expect(done["state"] as? String == "done" && done["output"] as? [Int] == digit.referenceLogits.map(Int.init), "\(done)")
        // The oversized message was not read, so its reply_to is unknown: it is answered on the results topic.
        #expect(byTopic["replies/big"] == nil)
        let refusals = results.lines(within: 5) { $0.contains { $0.contains("tasks_max_bytes") } }
        #expect(refusals.filter { $0.contains("tasks_max_bytes") }.count == 1, "\(refusals.map { $0.prefix(200) })")
    }

    static func publishOne(_ port: Int, _ payload: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", "jobs/digits", "-q", "1", "-s"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(payload.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    static func gateway(_ name: String, broker: MosquittoBroker, in directory: URL, keys: String = "") throws -> (URL, ControllerClient) {
        let gateway = try TestGateway(name, in: directory, upstream: (broker.port, """
            topic_prefix = "fleet"
            telemetry = "off"
            tasks = "jobs/digits"
            tasks_share = "workers"
            \(keys)
            """))
        return (gateway.config, gateway.client)
    }

    static func publish(_ port: Int, _ payloads: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", "jobs/digits", "-q", "1", "-l"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data((payloads.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    static func scenario() throws {
        let broker = try MosquittoBroker()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let subscriber = try Subscriber(port: broker.port, topic: "fleet/+/results", clientID: "sub-\(UUID().uuidString.prefix(8))")
        let (configA, clientA) = try gateway("a", broker: broker, in: directory)
        let (configB, clientB) = try gateway("b", broker: broker, in: directory)
        let a = try ControllerRestartTests.start(config: configA, client: clientA)
        defer { a.terminate(); a.waitUntilExit() }
        let b = try ControllerRestartTests.start(config: configB, client: clientB)
        defer { b.terminate(); b.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)  // both subscribed

        let split = try DigitsDataset.testSplit()
        func task(_ index: Int) -> String {
            "{\"id\":\"m\(index)\",\"model\":\"digits\",\"input\":[\(split[index].input.map { String($0) }.joined(separator: ","))]}"
        }
        let tasks = (0..<60).map(task)
        try publish(broker.port, tasks + (0..<10).map(task) + ["{not json", "{\"id\":\"bad-input\",\"model\":\"digits\",\"input\":[300]}",
                                                               "{\"id\":\"no-model\",\"model\":\"nope\",\"input\":[1]}"])
        _ = subscriber.lines(within: 60) { $0.count >= 73 }
        // Anything answered twice would arrive within this second.
        let answers = subscriber.lines(within: 1) { _ in false }.compactMap { line -> (topic: String, json: [String: Any])? in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, let json = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] else { return nil }
            return (parts[0], json)
        }
        let results = answers.filter { ($0.json["id"] as? String)?.hasPrefix("m") == true }
        #expect(results.count == 70, "each task answered, each of the 10 duplicates once more (\(results.count) answers)")
        #expect(Set(results.compactMap { $0.json["id"] as? String }) == Set((0..<60).map { "m\($0)" }))
        // A duplicate answered by the gateway that has the task is its journal's result, not a
        // second computation: the same finishedAt, and one receipt per id on each gateway.
        let byIDAndGateway = Dictionary(grouping: results) { "\($0.json["id"] as? String ?? "?") \($0.json["gateway"] as? String ?? "?")" }
        for (key, answers) in byIDAndGateway where answers.count > 1 {
            #expect(Set(answers.map { $0.json["finishedAt"] as? Double ?? -1 }).count == 1, "\(key): answered again with another result")
        }
        // Receipts are written about a second after their task is done.
        let ledgers = [configA, configB].map { $0.deletingLastPathComponent().appendingPathComponent("ledger.jsonl").path }
        func receipts() -> [[String: Int]] { ledgers.map { (try? LedgerReceiptCount.count(path: $0).perTask) ?? [:] } }
        let deadline = Date().addingTimeInterval(10)
        while Set(receipts().flatMap(\.keys)).count < 60 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        Thread.sleep(forTimeInterval: 1.5)
        let perGateway = receipts()
        #expect(perGateway.allSatisfy { $0.values.allSatisfy { $0 == 1 } }, "one receipt per id per gateway: \(perGateway.map { $0.filter { $0.value > 1 } })")
        #expect(Set(perGateway.flatMap(\.keys)).isSuperset(of: (0..<60).map { "m\($0)" }), "every task has a receipt")
        for result in results {
            let index = Int((result.json["id"] as? String ?? "m-1").dropFirst()) ?? -1
            #expect(result.json["state"] as? String == "done")
            #expect(result.json["output"] as? [Int] == split[index].referenceLogits.map(Int.init), "m\(index)")
        }
        let byGateway = Dictionary(grouping: results, by: { $0.json["gateway"] as? String ?? "?" })
        #expect(byGateway.count == 2, "the shared subscription spreads the tasks over both gateways: \(byGateway.mapValues(\.count))")
        #expect(results.allSatisfy { $0.topic == "fleet/\($0.json["gateway"] as? String ?? "?")/results" })
        let errors = answers.filter { $0.json["error"] != nil && $0.json["state"] == nil }
        #expect(errors.count == 3, "\(errors.map(\.json))")
        #expect(errors.contains { ($0.json["error"] as? String)?.contains("jobs/digits: not a task") == true })
        #expect(errors.contains { $0.json["id"] as? String == "bad-input" && ($0.json["error"] as? String)?.contains("int8") == true })
        #expect(errors.contains { $0.json["id"] as? String == "no-model" && ($0.json["error"] as? String)?.contains("nope") == true })
    }
}
