import Foundation

/// Publishes the outbox (or one lane of it) in order, QoS 1 (or the session's QoS: Sparkplug's 0),
/// up to `window` messages unacknowledged at a time, and deletes each message once acknowledged
/// (QoS 0: once written to the network). After a disconnection everything not acknowledged is
/// sent again from the oldest, so the broker sees every message, in order (at least once).
/// Messages are claimed from the outbox while they are on the wire, so that eviction skips them.
public actor UpstreamPublisher {
    private let outbox: Outbox
    private let client: any MQTTTransport
    private let window: Int
    private let session: (any PublishSession)?
    private let lane: Outbox.Lane
    /// Ids this publisher claimed and has not deleted or released (another publisher may hold
    /// claims on other lanes of the same outbox).
    private var claims: Set<Int64> = []
    private var connectedAt = Date.distantPast
    /// Message id → outbox id, for messages sent and not yet acknowledged.
    private var inFlight: [Int32: Int64] = [:]
    private var lastSent: Int64 = 0
    private var acknowledged: [Int64] = []
    private var pumping = false
    /// The client's connection last handled (births sent); a batch claimed during a
    /// reconnection is not sent as claimed.
    private var handledConnection = 0
    /// Topic filters subscribed on every connection, and who gets what arrives on them.
    private var handlers: [(filter: String, handle: @Sendable (String, [UInt8]) async -> Void)] = []
    /// Connected and the session's births are out: the outbox may flow.
    private var ready = false
    /// Message ids of `publishAndConfirm` waiting for their PUBACK.
    private var awaitingConfirmation: Set<Int32> = []
    public private(set) var published = 0
    public private(set) var lastError: String?

    /// - Parameters:
    ///   - session: the payload protocol's per-connection state (Sparkplug B), if any.
    ///   - lane: the outbox's messages this publisher sends.
    ///   - client: the MQTT connection (`MQTTClient`; a test's in-memory transport).
    public init(outbox: Outbox, client: any MQTTTransport, window: Int = 256, session: (any PublishSession)? = nil, lane: Outbox.Lane = .all) {
        self.outbox = outbox
        self.client = client
        self.window = window
        self.session = session
        self.lane = lane
        if let session { client.renewWillOnDisconnect { session.disconnected() } }
    }

    /// Starts following the client's events, one at a time in the order they happened.
    public func start() {
        let (events, continuation) = AsyncStream.makeStream(of: MQTTClient.Event.self)
        client.onEvent { event in continuation.yield(event) }
        if client.isConnected { continuation.yield(.connected) }
        Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        }
    }

    /// Subscribes to `filter` (QoS 1; `$share/<group>/...` for a shared subscription) on this and
    /// every later connection, and hands what arrives on it to `handle`, one message at a time.
    public func subscribe(_ filter: String, _ handle: @escaping @Sendable (_ topic: String, _ payload: [UInt8]) async -> Void) {
        handlers.append((filter, handle))
        guard ready else { return }
        do { try client.subscribe(filter) } catch { lastError = "\(error)" }
    }

    /// New messages are in the outbox.
    public func wake() { Task { await pump() } }

    /// Publishes what `produce` returns at once, in order with everything else this publisher
    /// sends (births and deaths of boards). Nothing is sent before the connection's births are
    /// out: the session leaves it to them.
    public func publishNow(_ produce: @Sendable () -> [WireMessage]) {
        let messages = produce()
        guard ready else { return }
        for message in messages { send(message) }
    }

    /// `publishNow`, then waits at most `timeout` for the broker's PUBACK of each message sent: for
    /// a goodbye that must reach the broker before the DISCONNECT that follows it. True when every
    /// message was acknowledged.
    public func publishAndConfirm(_ produce: @Sendable () -> [WireMessage], timeout: Duration) async -> Bool {
        let messages = produce()
        guard ready else { return false }
        for message in messages {
            if let mid = send(message) { awaitingConfirmation.insert(mid) }
        }
        let deadline = ContinuousClock.now + timeout
        while !awaitingConfirmation.isEmpty && client.isConnected && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        defer { awaitingConfirmation = [] }
        return awaitingConfirmation.isEmpty
    }

    @discardableResult
    private func send(_ message: WireMessage) -> Int32? {
        do {
            return try client.publish(topic: message.topic, payload: message.payload, retain: message.retain, qos: message.qos)
        } catch {
            lastError = "\(error)"
            return nil
        }
    }

    private func handle(_ event: MQTTClient.Event) async {
        switch event {
        case .connected:
            // Once per connection: `start` reports a connection made before it followed the client,
            // and the client's own report of it may come too.
            let current = client.connectionCount
            guard current != handledConnection else { return }
            handledConnection = current
            ready = false
            restartStream()
            // Messages acknowledged on the last connection and waiting for their batched delete go
            // now: the new connection must not send them again.
            if !acknowledged.isEmpty { await commitAcknowledged() }
            for pattern in (session?.subscriptions ?? []) + handlers.map(\.filter) {
                do { try client.subscribe(pattern) } catch { lastError = "\(error)" }
            }
            for message in session?.connected() ?? [] { send(message) }
            ready = session?.mayPublish ?? true
            await pump()
        case .disconnected(let why):
            ready = false
            lastError = why
        case .acknowledged(let mid):
            awaitingConfirmation.remove(mid)
            if let id = inFlight.removeValue(forKey: mid) {
                acknowledged.append(id)
                published += 1
            }
            if acknowledged.count >= 64 || inFlight.isEmpty { await commitAcknowledged() }
            await pump()
        case .message(let topic, let payload):
            let wasOpen = session?.mayPublish ?? true
            let answer = session?.received(topic: topic, payload: payload) ?? []
            let open = session?.mayPublish ?? true
            // The session opened (births in `answer`) or closed the stream on this connection.
            if open && !wasOpen { restartStream() }
            for message in answer { send(message) }
            if open != wasOpen && handledConnection == client.connectionCount && client.isConnected {
                ready = open
                if open { await pump() }
            }
            for handler in handlers where MQTTTopicFilter.matches(handler.filter, topic) { await handler.handle(topic, payload) }
        }
    }

    /// Everything unacknowledged goes again, in order, from the oldest, after the births; what was
    /// written before now counts as held back (historical).
    private func restartStream() {
        inFlight = [:]
        lastSent = 0
        releaseClaims(claims.subtracting(acknowledged))
        connectedAt = Date()
    }

    private func commitAcknowledged() async {
        let ids = acknowledged
        acknowledged = []
        do {
            try await outbox.delete(ids)
            claims.subtract(ids)
        } catch {
            acknowledged += ids
            lastError = "outbox: \(error)"
        }
    }

    private func releaseClaims(_ ids: some Sequence<Int64>) {
        let ids = Array(ids)
        claims.subtract(ids)
        outbox.release(ids)
    }

    private func pump() async {
        guard !pumping, ready, client.isConnected else { return }
        pumping = true
        defer { pumping = false }
        while client.isConnected && inFlight.count < window {
            let batch: [Outbox.Message]
            let claimedOn = handledConnection
            do {
                batch = try await outbox.claim(after: lastSent, limit: window - inFlight.count, lane: lane)
            } catch {
                lastError = "outbox: \(error)"
                return
            }
            claims.formUnion(batch.map(\.id))
            guard claimedOn == handledConnection, ready else {
                releaseClaims(batch.map(\.id))
                if !ready { return }
                continue
            }
            guard !batch.isEmpty else { return }
            for (index, message) in batch.enumerated() {
                let prepared = session?.prepare(message, connectedAt: connectedAt)
                    ?? PreparedMessage(message: WireMessage(message))
                do {
                    for extra in prepared.before { _ = try client.publish(topic: extra.topic, payload: extra.payload, retain: false, qos: extra.qos) }
                    let mid = try client.publish(topic: prepared.message.topic, payload: prepared.message.payload, retain: false, qos: prepared.message.qos)
                    inFlight[mid] = message.id
                    lastSent = message.id
                    for extra in prepared.after { _ = try client.publish(topic: extra.topic, payload: extra.payload, retain: false, qos: extra.qos) }
                } catch {
                    lastError = "\(error)"
                    releaseClaims(batch[index...].map(\.id))
                    return
                }
            }
        }
    }
}
