import Foundation

/// Publishes the outbox in order, QoS 1, up to `window` messages unacknowledged at a time, and
/// deletes each message once acknowledged. After a disconnection everything not acknowledged is
/// sent again from the oldest, so the broker sees every message, in order (at least once).
/// Messages are claimed from the outbox while they are on the wire, so that eviction skips them.
public actor UpstreamPublisher {
    private let outbox: Outbox
    private let client: MQTTClient
    private let window: Int
    /// Message id → outbox id, for messages sent and not yet acknowledged.
    private var inFlight: [Int32: Int64] = [:]
    private var lastSent: Int64 = 0
    private var acknowledged: [Int64] = []
    private var pumping = false
    /// Counts connections: a batch claimed during a reconnection is not sent as claimed.
    private var connection = 0
    public private(set) var published = 0
    public private(set) var lastError: String?

    public init(outbox: Outbox, client: MQTTClient, window: Int = 256) {
        self.outbox = outbox
        self.client = client
        self.window = window
    }

    /// Starts following the client's events.
    public func start() {
        client.onEvent { [weak self] event in
            guard let self else { return }
            Task { await self.handle(event) }
        }
        if client.isConnected { Task { await self.pump() } }
    }

    /// New messages are in the outbox.
    public func wake() { Task { await pump() } }

    private func handle(_ event: MQTTClient.Event) async {
        switch event {
        case .connected:
            // Everything unacknowledged goes again, in order, from the oldest.
            inFlight = [:]
            lastSent = 0
            connection += 1
            outbox.releaseAll(keeping: Set(acknowledged))
            await pump()
        case .disconnected(let why):
            lastError = why
        case .acknowledged(let mid):
            if let id = inFlight.removeValue(forKey: mid) {
                acknowledged.append(id)
                published += 1
            }
            if acknowledged.count >= 64 || inFlight.isEmpty { await commitAcknowledged() }
            await pump()
        case .message:
            break
        }
    }

    private func commitAcknowledged() async {
        let ids = acknowledged
        acknowledged = []
        do { try await outbox.delete(ids) } catch {
            acknowledged += ids
            lastError = "outbox: \(error)"
        }
    }

    private func pump() async {
        guard !pumping, client.isConnected else { return }
        pumping = true
        defer { pumping = false }
        while client.isConnected && inFlight.count < window {
            let batch: [Outbox.Message]
            let claimedOn = connection
            do {
                batch = try await outbox.claim(after: lastSent, limit: window - inFlight.count)
            } catch {
                lastError = "outbox: \(error)"
                return
            }
            guard claimedOn == connection else {
                outbox.release(batch.map(\.id))
                continue
            }
            guard !batch.isEmpty else { return }
            for (index, message) in batch.enumerated() {
                do {
                    let mid = try client.publish(topic: message.topic, payload: message.payload)
                    inFlight[mid] = message.id
                    lastSent = message.id
                } catch {
                    lastError = "\(error)"
                    outbox.release(batch[index...].map(\.id))
                    return
                }
            }
        }
    }
}
