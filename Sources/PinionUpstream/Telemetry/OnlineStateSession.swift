import Foundation

/// The JSON mode's connection state: `<prefix>/<gateway>/state` is `online` (retained) from each
/// connection on, and the Last Will sets it to `offline`.
public final class OnlineStateSession: PublishSession {
    public let topic: String

    public init(topic: String) { self.topic = topic }

    public var will: WireMessage { WireMessage(topic: topic, payload: Array("offline".utf8), retain: true) }
    public var subscriptions: [String] { [] }
    public func connected() -> [WireMessage] { [WireMessage(topic: topic, payload: Array("online".utf8), retain: true)] }
    public func disconnected() -> WireMessage? { nil }
    public func prepare(_ message: Outbox.Message, connectedAt: Date) -> PreparedMessage {
        PreparedMessage(message: WireMessage(message))
    }
    public func received(topic: String, payload: [UInt8]) -> [WireMessage] { [] }
}
