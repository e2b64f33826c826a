import Foundation
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// Against a real mosquitto broker started here.
@Suite("Upstream over MQTT (real mosquitto)", .serialized, .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct UpstreamTests {
    func outbox() throws -> (Outbox, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        return (try Outbox(path: path), path)
    }

    /// The payloads in first-arrival order (QoS 1 may deliver one twice after a reconnection).
    func firstArrivals(_ lines: [String]) -> [String] {
        var seen = Set<String>()
        return lines.compactMap { line in
            let payload = String(line.split(separator: " ", maxSplits: 1).last ?? "")
            return seen.insert(payload).inserted ? payload : nil
        }
    }

    @Test func everyMessageArrivesInOrderAndLeavesTheOutbox() async throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topic: "pinion/test/#", clientID: "sub-\(UUID().uuidString.prefix(8))")
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let (outbox, path) = try outbox()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await outbox.enqueue((0..<500).map { ("pinion/test/report", Array("m\($0)".utf8)) })
        let client = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: "gw-\(UUID().uuidString.prefix(8))"))
        let publisher = UpstreamPublisher(outbox: outbox, client: client)
        await publisher.start()
        let lines = try await BlockingCall.run("subscriber") { [self] in subscriber.lines(within: 30) { firstArrivals($0).count >= 500 } }
        #expect(firstArrivals(lines) == (0..<500).map { "m\($0)" })
        _ = try await eventually { try await outbox.count() == 0 }
        #expect(try await outbox.count() == 0, "acknowledged messages are deleted")
    }

    @Test func aBrokerOutageLosesNothingAndKeepsTheOrder() async throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topic: "pinion/test/#", clientID: "sub-\(UUID().uuidString.prefix(8))")
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let (outbox, path) = try outbox()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let client = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: "gw-\(UUID().uuidString.prefix(8))"))
        let publisher = UpstreamPublisher(outbox: outbox, client: client)
        await publisher.start()
        // Reports keep coming before, during and after the outage.
        for index in 0..<300 {
            try await outbox.enqueue([("pinion/test/report", Array("m\(index)".utf8))])
            await publisher.wake()
            if index == 100 { try await BlockingCall.run("stop mosquitto") { broker.stop() } }
            if index == 200 { try await BlockingCall.run("start mosquitto") { try broker.start() } }
            try await Task.sleep(for: .milliseconds(5))
        }
        let lines = try await BlockingCall.run("subscriber") { [self] in subscriber.lines(within: 60) { firstArrivals($0).count >= 300 } }
        #expect(firstArrivals(lines) == (0..<300).map { "m\($0)" })
    }
}
