import Foundation

/// A message for the wire, published outside the outbox's bookkeeping (births, deaths, the
/// Last Will) or as the wire form of an outbox message; QoS 1 unless it says 0 (Sparkplug's
/// births and data).
public struct WireMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool
    public var qos: Int32

    public init(topic: String, payload: [UInt8], retain: Bool = false, qos: Int32 = 1) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
        self.qos = qos
    }

    /// An outbox message as stored (not retained).
    public init(_ message: Outbox.Message) {
        self.init(topic: message.topic, payload: message.payload)
    }
}

/// An outbox message made ready to publish: the message itself (perhaps restamped) and any
/// messages that must go just before or after it.
public struct PreparedMessage: Sendable {
    public var before: [WireMessage]
    public var message: WireMessage
    public var after: [WireMessage]

    public init(before: [WireMessage] = [], message: WireMessage, after: [WireMessage] = []) {
        self.before = before
        self.message = message
        self.after = after
    }
}

/// The state a payload protocol keeps per MQTT connection (Sparkplug B: bdSeq, seq, births).
/// The publisher calls it in publishing order, so what it stamps is what the broker sees.
public protocol PublishSession: AnyObject, Sendable {
    /// The Last Will for the next connection (and the goodbye of a clean stop, which the broker
    /// does not publish the Will for).
    var will: WireMessage { get }
    /// Topic filters to subscribe to on every connection (commands for the gateway).
    var subscriptions: [String] { get }
    /// A connection is up: these go out first, before anything from the outbox.
    func connected() -> [WireMessage]
    /// The connection is gone (called on the MQTT network thread before it reconnects): the Last
    /// Will for the next connection, when it changes.
    func disconnected() -> WireMessage?
    /// The wire form of an outbox message; `connectedAt` tells reports held back by an outage.
    func prepare(_ message: Outbox.Message, connectedAt: Date) -> PreparedMessage
    /// A message arrived on one of `subscriptions`: what to publish in answer.
    func received(topic: String, payload: [UInt8]) -> [WireMessage]
    /// Whether the outbox may flow on this connection now (Sparkplug: not while the Primary Host
    /// Application is offline). When it turns true, `received` has just returned the births.
    var mayPublish: Bool { get }
}

extension PublishSession {
    public var mayPublish: Bool { true }
}
