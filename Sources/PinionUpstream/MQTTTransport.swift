/// What `UpstreamPublisher` needs of an MQTT connection: events in the order they happened
/// (connected, dropped, PUBACK, message), publish and subscribe, and a Last Will renewed before
/// each reconnection. `MQTTClient` (libmosquitto) is the production one; tests may use an
/// in-memory transport (`InMemoryMQTTTransport` in PinionTestSupport) that they drive by hand.
public protocol MQTTTransport: AnyObject, Sendable {
    /// Where events go; events that came before the first handler are handed to it first, in order.
    func onEvent(_ handler: @escaping @Sendable (MQTTClient.Event) -> Void)
    /// Called before each reconnection attempt: the Last Will it returns replaces the current one.
    func renewWillOnDisconnect(_ provider: @escaping @Sendable () -> WireMessage?)
    var isConnected: Bool { get }
    /// How many connections have been made: tells one connection's `.connected` from the next.
    var connectionCount: Int { get }
    /// Publishes; returns the message id its `.acknowledged` event will carry.
    func publish(topic: String, payload: [UInt8], retain: Bool, qos: Int32) throws -> Int32
    /// Subscribes to `pattern` (QoS 1) on the connection now.
    func subscribe(_ pattern: String) throws
}

extension MQTTClient: MQTTTransport {}
