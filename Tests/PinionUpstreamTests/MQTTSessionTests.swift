import Foundation
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// With MQTT 3.1.1 (`mqtt5 = false`) the gateway's session outlives its absences: tasks published
/// while it is away (here, while every gateway of the fleet is) are queued by the broker and
/// delivered when it comes back.
@Suite("MQTT session", .enabled(if: MosquittoBroker.available(), "mosquitto is not installed (CI installs it)"))
struct MQTTSessionTests {
    private static func waitUntil(_ condition: () -> Bool) async throws {
        _ = await eventually(timeout: .seconds(3)) { condition() }
    }

    /// - Parameter handlerLate: the returning client gets its event handler half a second after it
    ///   connected, later than the controller's publisher does: what arrived meanwhile waits for it.
    @Test(arguments: [false, true])
    func tasksPublishedWhileTheGatewayIsAwayArriveWhenItReturns(handlerLate: Bool) async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let gatewayID = "gw-\(UUID().uuidString.prefix(8))"
        let received = Mutex<[String]>([])
        let record: @Sendable (MQTTClient.Event) -> Void = { event in
            if case .message(let topic, let payload) = event { received.withLock { $0.append("\(topic) \(String(decoding: payload, as: UTF8.self))") } }
        }
        func gateway(late: Bool = false) async throws -> MQTTClient {
            var options = MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: gatewayID)
            options.protocolVersion5 = false   // 3.1.1 here; MQTTReconnectTests holds MQTT 5 to the same
            let client = try MQTTClient(options)
            if late { try await Task.sleep(for: .milliseconds(500)) }
            client.onEvent(record)
            return client
        }
        let first = try await gateway()
        try await Self.waitUntil { first.isConnected }
        try first.subscribe("$share/fleet/jobs/digits")
        try await broker.waitForSubscription(clientID: gatewayID)
        first.disconnect()
        try await Self.waitUntil { !first.isConnected }

        let producer = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: "producer-\(UUID().uuidString.prefix(8))"))
        let acknowledged = Atomic<Int>(0)
        producer.onEvent { if case .acknowledged = $0 { acknowledged.add(1, ordering: .relaxed) } }
        try await Self.waitUntil { producer.isConnected }
        for index in 0..<3 { _ = try producer.publish(topic: "jobs/digits", payload: Array("task-\(index)".utf8)) }
        try await Self.waitUntil { acknowledged.load(ordering: .relaxed) == 3 }
        #expect(acknowledged.load(ordering: .relaxed) == 3)
        #expect(received.withLock { $0 }.isEmpty)

        // Back with the same client id and no new subscription: the session had them queued.
        let again = try await gateway(late: handlerLate)
        try await Self.waitUntil { received.withLock { $0.count } >= 3 }
        #expect(received.withLock { $0 } == ["jobs/digits task-0", "jobs/digits task-1", "jobs/digits task-2"])
        again.disconnect()
        producer.disconnect()
    }
}
