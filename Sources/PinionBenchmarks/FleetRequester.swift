import Foundation
import PinionUpstream
import Synchronization

/// The fleet's customer: publishes tasks with ids to the fleet's task topic (QoS 1) with its own
/// `reply_to`, keeps every answer that comes back, and tells which ids are still unanswered.
/// Its session is MQTT 3.1.1 with clean session off, so the broker keeps its answers across a
/// broker restart (mosquitto persists them) and while its link is down.
public final class FleetRequester: @unchecked Sendable {
    /// One answer as it arrived.
    public struct Answer: Sendable, Hashable {
        public var gateway: String
        public var state: String
        public var output: [Int]
        public var finishedAt: Double
        public var error: String?
    }

    private struct Wire: Decodable {
        var id: String
        var gateway: String?
        var state: String?
        var output: [Int]?
        var finishedAt: Double?
        var error: String?
    }

    public let replyTopic: String
    private let taskTopic: String
    private let client: MQTTClient
    /// Written on the client's network thread, read by the run.
    private final class Store: Sendable {
        let answers = Mutex<[String: [Answer]]>([:])
        let unreadable = Atomic<Int>(0)
    }

    private let store = Store()

    public init(brokerPort: Int, taskTopic: String, name: String) throws {
        self.taskTopic = taskTopic
        replyTopic = "fleet-answers/\(name)"
        var options = MQTTClient.Options(host: "127.0.0.1", port: brokerPort, clientID: name)
        options.protocolVersion5 = false
        client = try MQTTClient(options)
        let topic = replyTopic
        client.onEvent { [weak client, store] event in
            switch event {
            case .connected:
                try? client?.subscribe(topic)
            case .message(_, let payload):
                guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload)) else {
                    store.unreadable.add(1, ordering: .relaxed)
                    return
                }
                let answer = Answer(gateway: wire.gateway ?? "", state: wire.state ?? "", output: wire.output ?? [],
                                    finishedAt: wire.finishedAt ?? 0, error: wire.error)
                store.answers.withLock { $0[wire.id, default: []].append(answer) }
            case .disconnected, .acknowledged:
                break
            }
        }
    }

    /// Waits (at most `seconds`) until the link is up.
    public func waitUntilConnected(seconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !client.isConnected {
            guard Date() < deadline else { throw CampaignError("the requester could not connect to the broker within \(Int(seconds)) s") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        // The subscription goes out on the connection's event; give the broker a moment to take it.
        Thread.sleep(forTimeInterval: 0.2)
    }

    /// Publishes one task: `{"id","model":"digits","input","reply_to"}`. A publish refused while the
    /// link is down is not an error: the retry after the timeout sends it again.
    public func send(id: String, input: [Int]) {
        let payload = "{\"id\":\"\(id)\",\"model\":\"digits\",\"input\":[\(input.map(String.init).joined(separator: ","))],\"reply_to\":\"\(replyTopic)\"}"
        _ = try? client.publish(topic: taskTopic, payload: Array(payload.utf8))
    }

    /// Every answer so far, per id, in arrival order.
    public var received: [String: [Answer]] { store.answers.withLock { $0 } }
    public var answeredIDs: Set<String> { store.answers.withLock { Set($0.keys) } }
    public var unreadableAnswers: Int { store.unreadable.load(ordering: .relaxed) }

    public func disconnect() { client.disconnect() }
}
