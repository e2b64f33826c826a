import Foundation
import PinionController
import PinionModels
import PinionTestSupport
import PinionUSB
import Testing

/// Tasks over MQTT: two `pinion run --simulate` gateways share one task topic through a shared
/// subscription; every task is answered exactly once (by one gateway), duplicates are not run
/// again, and bad messages are answered with an error.
@Suite("pinion run: tasks over MQTT (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct MQTTTaskIntakeTests {
    @Test func aFleetSharesTheTaskTopicAndAnswersEachTaskOnce() async throws {
        try await BlockingCall.run("intake scenario") { try Self.scenario() }
    }

    static func gateway(_ name: String, broker: MosquittoBroker, in directory: URL) throws -> (URL, ControllerClient) {
        let gateway = try TestGateway(name, in: directory, upstream: (broker.port, """
            topic_prefix = "fleet"
            telemetry = "off"
            tasks = "jobs/digits"
            tasks_share = "workers"
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
        _ = subscriber.lines(within: 60) { $0.count >= 63 }
        // Anything answered twice would arrive within this second.
        let answers = subscriber.lines(within: 1) { _ in false }.compactMap { line -> (topic: String, json: [String: Any])? in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, let json = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] else { return nil }
            return (parts[0], json)
        }
        let results = answers.filter { ($0.json["id"] as? String)?.hasPrefix("m") == true }
        #expect(results.count == 60, "each task answered once, duplicates not again (\(results.count) answers)")
        #expect(Set(results.compactMap { $0.json["id"] as? String }) == Set((0..<60).map { "m\($0)" }))
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
