import Foundation
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// The publisher over an in-memory MQTT transport: the test decides when the connection comes
/// up, drops and acknowledges, so none of these needs a broker or a guessed sleep. The same
/// behaviour through a real mosquitto is in `UpstreamTests` and `SparkplugBrokerTests`.
@Suite("Upstream publisher over an in-memory transport")
struct UpstreamPublisherTransportTests {
    final class OutboxFile: Sendable {
        let outbox: Outbox
        let path: String

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
            outbox = try Outbox(path: path)
        }

        deinit { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    }

    func payloads(_ publishes: [InMemoryMQTTTransport.Publish]) -> [String] { publishes.map { String(decoding: $0.payload, as: UTF8.self) } }

    @Test func aMessageStaysInTheOutboxUntilItsPUBACK() async throws {
        let file = try OutboxFile()
        try await file.outbox.enqueue((0..<3).map { ("pinion/test/report", Array("m\($0)".utf8)) })
        let transport = InMemoryMQTTTransport()
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport)
        await publisher.start()
        transport.connect()
        #expect(await transport.wait { $0.publishes.count == 3 })
        #expect(payloads(transport.snapshot.publishes) == ["m0", "m1", "m2"])
        #expect(transport.snapshot.publishes.allSatisfy { $0.qos == 1 })
        #expect(try await file.outbox.count() == 3, "sent but not acknowledged: still in the outbox")
        transport.acknowledgeAll()
        #expect(try await eventually { try await file.outbox.count() == 0 }, "acknowledged messages are deleted")
        #expect(await publisher.published == 3)
    }

    @Test func aDropBeforeAnyPUBACKResendsEverythingInOrderAfterReconnecting() async throws {
        let file = try OutboxFile()
        try await file.outbox.enqueue((0..<4).map { ("pinion/test/report", Array("m\($0)".utf8)) })
        let transport = InMemoryMQTTTransport()
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport)
        await publisher.start()
        transport.connect()
        #expect(await transport.wait { $0.publishes.count == 4 })
        transport.drop("connection lost")
        #expect(await eventually { await publisher.lastError == "connection lost" })
        #expect(try await file.outbox.count() == 4)
        transport.connect()
        #expect(await transport.wait { $0.publishes(onConnection: 2).count == 4 })
        #expect(payloads(transport.snapshot.publishes(onConnection: 2)) == ["m0", "m1", "m2", "m3"])
        transport.acknowledgeAll()
        #expect(try await eventually { try await file.outbox.count() == 0 })
        #expect(await publisher.published == 4)
    }

    @Test func aDropMidFlightResendsWhatWasNotAcknowledgedInOrderAfterReconnecting() async throws {
        let file = try OutboxFile()
        try await file.outbox.enqueue((0..<5).map { ("pinion/test/report", Array("m\($0)".utf8)) })
        let transport = InMemoryMQTTTransport()
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport)
        await publisher.start()
        transport.connect()
        #expect(await transport.wait { $0.publishes.count == 5 })
        let first = transport.snapshot.publishes
        transport.acknowledge(first[0].messageID)
        transport.acknowledge(first[1].messageID)
        transport.drop("connection lost")
        #expect(await eventually { await publisher.lastError == "connection lost" })
        try await file.outbox.enqueue([("pinion/test/report", Array("m5".utf8))])
        await publisher.wake()
        #expect(transport.snapshot.publishes.count == 5, "nothing is published while the connection is down")
        transport.connect()
        #expect(await transport.wait { $0.publishes(onConnection: 2).count == 4 })
        #expect(payloads(transport.snapshot.publishes(onConnection: 2)) == ["m2", "m3", "m4", "m5"])
        transport.acknowledgeAll()
        #expect(try await eventually { try await file.outbox.count() == 0 })
        #expect(await publisher.published == 6)
    }

    @Test func refusedConnectionsSendNothingUntilOneIsMade() async throws {
        let file = try OutboxFile()
        try await file.outbox.enqueue([("pinion/test/report", Array("m0".utf8))])
        let transport = InMemoryMQTTTransport()
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport)
        await publisher.start()
        transport.refuse("MQTT broker 127.0.0.1:1883 refused the connection: not authorised")
        #expect(await eventually { await publisher.lastError?.contains("not authorised") == true })
        #expect(transport.snapshot.publishes.isEmpty)
        transport.connect()
        #expect(await transport.wait { $0.publishes.count == 1 })
    }

    @Test func subscriptionsAreMadeOnEveryConnectionAndTheirMessagesReachTheHandler() async throws {
        let file = try OutboxFile()
        let transport = InMemoryMQTTTransport()
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport)
        let received = Mutex<[String]>([])
        await publisher.subscribe("jobs/#") { topic, payload in received.withLock { $0.append("\(topic) \(String(decoding: payload, as: UTF8.self))") } }
        await publisher.start()
        transport.connect()
        #expect(await transport.wait { $0.subscriptions.contains { $0 == ("jobs/#", 1) } })
        transport.deliver(topic: "jobs/digits", payload: Array("one".utf8))
        transport.deliver(topic: "other/topic", payload: Array("not mine".utf8))
        transport.drop()
        transport.connect()
        #expect(await transport.wait { $0.subscriptions.contains { $0 == ("jobs/#", 2) } }, "subscribed again on the new connection")
        transport.deliver(topic: "jobs/digits", payload: Array("two".utf8))
        #expect(await eventually { received.withLock { $0.count == 2 } })
        #expect(received.withLock { $0 } == ["jobs/digits one", "jobs/digits two"])
    }

    @Test func sparkplugBirthsComeFirstOnEveryConnectionWithTheNextBdSeq() async throws {
        let file = try OutboxFile()
        let session = SparkplugSession(group: "pinion", node: "gw1", bdSeq: 7)
        let transport = InMemoryMQTTTransport(will: session.will)
        let publisher = UpstreamPublisher(outbox: file.outbox, client: transport, session: session)
        _ = session.deviceAttached("B1", metrics: [TelemetryMetric("n", .unsigned(0))])
        await publisher.start()
        transport.connect()
        #expect(await transport.wait { $0.publishes.count == 2 })
        transport.drop()
        #expect(await eventually { await publisher.lastError == "connection lost" })
        for index in 1...2 {
            let report = session.report(TelemetryReport(device: "B1", timestampMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000),
                                                        metrics: [TelemetryMetric("n", .unsigned(UInt64(index)))]))
            try await file.outbox.enqueue([(report.topic, report.payload)])
        }
        transport.connect()
        #expect(await transport.wait { $0.publishes(onConnection: 2).count == 4 })
        let wires = transport.snapshot.publishes.compactMap { SparkplugWire(line: "\($0.topic) \($0.payload.map { String(format: "%02x", $0) }.joined())") }
        #expect(wires.map(\.description) == ["NBIRTH seq 0", "DBIRTH/B1 seq 1", "NBIRTH seq 0", "DBIRTH/B1 seq 1", "DDATA/B1 seq 2", "DDATA/B1 seq 3"])
        #expect(wires.compactMap(\.bdSeq) == [7, 8], "the second connection's births carry the next bdSeq")
        #expect(SparkplugWire(line: "\(transport.snapshot.will!.topic) \(transport.snapshot.will!.payload.map { String(format: "%02x", $0) }.joined())")?.bdSeq == 8,
                "the Last Will was renewed with it before reconnecting")
        #expect(wires.suffix(2).allSatisfy { $0.payload.metrics.allSatisfy(\.isHistorical) }, "reports held back by the drop are historical")
        #expect(try await eventually { try await file.outbox.count() == 0 }, "QoS 0 data leaves the outbox once written")
    }
}
