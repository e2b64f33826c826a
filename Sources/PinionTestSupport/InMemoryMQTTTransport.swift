import Foundation
import PinionUpstream
import Synchronization

/// An MQTT connection kept in memory, driven by the test (after swift-nio's EmbeddedChannel): the
/// test says when it connects, refuses, drops, acknowledges and delivers, and reads back what was
/// published and subscribed, in order. QoS 0 publishes are acknowledged at once (libmosquitto
/// reports them once written); QoS 1 publishes wait for `acknowledge`. A drop forgets the
/// PUBACKs still owed, as a lost connection does, and renews the Last Will as `MQTTClient` does
/// before it reconnects.
public final class InMemoryMQTTTransport: MQTTTransport {
    /// One publish, as the transport took it.
    public struct Publish: Sendable, Hashable {
        public let messageID: Int32
        public let topic: String
        public let payload: [UInt8]
        public let retain: Bool
        public let qos: Int32
        /// The connection it was published on (1 for the first).
        public let connection: Int
    }

    /// What the transport holds now.
    public struct Snapshot: Sendable {
        public var isConnected = false
        public var connectionCount = 0
        public var publishes: [Publish] = []
        /// Message ids of QoS 1 publishes not acknowledged yet on this connection, oldest first.
        public var unacknowledged: [Int32] = []
        /// Every subscribe, in order, with the connection it was made on.
        public var subscriptions: [(pattern: String, connection: Int)] = []
        /// The Last Will the next connection would carry.
        public var will: WireMessage?

        /// The publishes made on `connection`.
        public func publishes(onConnection connection: Int) -> [Publish] { publishes.filter { $0.connection == connection } }
    }

    /// `publish` or `subscribe` with no connection up.
    public struct NotConnected: Error, CustomStringConvertible {
        public let description = "MQTT: not connected (in-memory transport)"
    }

    private struct Waiter {
        let condition: @Sendable (Snapshot) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var snapshot = Snapshot()
        var nextMessageID: Int32 = 1
        var handler: (@Sendable (MQTTClient.Event) -> Void)?
        var eventsBeforeHandler: [MQTTClient.Event] = []
        var willProvider: (@Sendable () -> WireMessage?)?
        var waiters: [UUID: Waiter] = [:]
    }

    private let state: Mutex<State>

    public init(will: WireMessage? = nil) {
        var initial = State()
        initial.snapshot.will = will
        state = Mutex(initial)
    }

    /// What the transport holds now.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    // MARK: Driven by the test

    /// A connection comes up (CONNACK accepted).
    public func connect() {
        change { state in
            state.snapshot.isConnected = true
            state.snapshot.connectionCount += 1
            state.snapshot.unacknowledged = []
        }
        emit(.connected)
    }

    /// A connection attempt is refused (the broker's CONNACK said no, or it could not be reached).
    public func refuse(_ why: String = "connection refused") {
        emit(.disconnected(why))
    }

    /// The connection is lost: PUBACKs owed are forgotten and the Last Will is renewed.
    public func drop(_ why: String = "connection lost") {
        let provider = change { state in
            state.snapshot.isConnected = false
            state.snapshot.unacknowledged = []
            return state.willProvider
        }
        if let renewed = provider?() { change { $0.snapshot.will = renewed } }
        emit(.disconnected(why))
    }

    /// The broker's PUBACK for `messageID`.
    public func acknowledge(_ messageID: Int32) {
        change { $0.snapshot.unacknowledged.removeAll { $0 == messageID } }
        emit(.acknowledged(messageID))
    }

    /// PUBACKs for every QoS 1 publish still owed, oldest first.
    public func acknowledgeAll() {
        for messageID in snapshot.unacknowledged { acknowledge(messageID) }
    }

    /// A message arrives on a subscription.
    public func deliver(topic: String, payload: [UInt8]) {
        emit(.message(topic: topic, payload: payload))
    }

    /// Waits until `condition` holds for what the transport holds (checked now and after every
    /// change), at most `timeout`; whether it came to hold.
    public func wait(timeout: Duration = .seconds(10), until condition: @escaping @Sendable (Snapshot) -> Bool) async -> Bool {
        let token = UUID()
        return await withCheckedContinuation { continuation in
            let holds = state.withLock { state -> Bool in
                if condition(state.snapshot) { return true }
                state.waiters[token] = Waiter(condition: condition, continuation: continuation)
                return false
            }
            if holds { return continuation.resume(returning: true) }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.state.withLock { $0.waiters.removeValue(forKey: token) }?.continuation.resume(returning: false)
            }
        }
    }

    // MARK: MQTTTransport

    public func onEvent(_ handler: @escaping @Sendable (MQTTClient.Event) -> Void) {
        let earlier = state.withLock { state in
            state.handler = handler
            defer { state.eventsBeforeHandler = [] }
            return state.eventsBeforeHandler
        }
        for event in earlier { handler(event) }
    }

    public func renewWillOnDisconnect(_ provider: @escaping @Sendable () -> WireMessage?) {
        state.withLock { $0.willProvider = provider }
    }

    public var isConnected: Bool { state.withLock { $0.snapshot.isConnected } }

    public var connectionCount: Int { state.withLock { $0.snapshot.connectionCount } }

    public func publish(topic: String, payload: [UInt8], retain: Bool, qos: Int32) throws -> Int32 {
        let messageID = try change { state throws(NotConnected) -> Int32 in
            guard state.snapshot.isConnected else { throw NotConnected() }
            let messageID = state.nextMessageID
            state.nextMessageID = messageID == Int32.max ? 1 : messageID + 1
            state.snapshot.publishes.append(Publish(messageID: messageID, topic: topic, payload: payload, retain: retain, qos: qos,
                                                    connection: state.snapshot.connectionCount))
            if qos > 0 { state.snapshot.unacknowledged.append(messageID) }
            return messageID
        }
        if qos == 0 { emit(.acknowledged(messageID)) }
        return messageID
    }

    public func subscribe(_ pattern: String) throws {
        try change { state throws(NotConnected) in
            guard state.snapshot.isConnected else { throw NotConnected() }
            state.snapshot.subscriptions.append((pattern, state.snapshot.connectionCount))
        }
    }

    // MARK: Inside

    /// Changes the state, then wakes the waiters whose condition now holds.
    @discardableResult
    private func change<Value, Failure: Error>(_ body: (inout State) throws(Failure) -> Value) throws(Failure) -> Value {
        try state.withLock { (state: inout State) throws(Failure) -> Value in
            let value = try body(&state)
            for (token, waiter) in state.waiters where waiter.condition(state.snapshot) {
                state.waiters[token] = nil
                waiter.continuation.resume(returning: true)
            }
            return value
        }
    }

    private func emit(_ event: MQTTClient.Event) {
        let handler = state.withLock { state -> (@Sendable (MQTTClient.Event) -> Void)? in
            if state.handler == nil { state.eventsBeforeHandler.append(event) }
            return state.handler
        }
        handler?(event)
    }
}
