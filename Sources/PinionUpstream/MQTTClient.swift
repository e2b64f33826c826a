import CMosquitto
import Foundation
import Synchronization

/// An MQTT client over libmosquitto, using its own network thread (`mosquitto_loop_start`):
/// MQTT 5 or 3.1.1, a persistent session, username/password, TLS with a CA and a client
/// certificate, a Last Will, and reconnection with exponential backoff (1 s up to 30 s).
///
/// libmosquitto calls back on its thread; the callbacks here only record and hand on, so they
/// never block it. Thread-safe.
public final class MQTTClient: @unchecked Sendable {
    /// How to reach and log in to the broker.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var protocolVersion5 = true
        public var username: String?
        public var password: String?
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var keepAliveSeconds = 30
        /// Published by the broker if this client vanishes.
        public var will: (topic: String, payload: [UInt8], retain: Bool)?

        public init(host: String, port: Int, clientID: String) {
            self.host = host
            self.port = port
            self.clientID = clientID
        }
    }

    /// What the client reports.
    public enum Event: Sendable {
        case connected
        /// The broker refused or the link dropped; libmosquitto reconnects by itself.
        case disconnected(String)
        /// PUBACK for a QoS 1 publish (its message id).
        case acknowledged(Int32)
        case message(topic: String, payload: [UInt8])
    }

    private let handle: OpaquePointer
    private let handler: Mutex<(@Sendable (Event) -> Void)?> = Mutex(nil)
    private let willRenewal: Mutex<(@Sendable () -> WireMessage?)?> = Mutex(nil)
    private let isConnectedFlag = Atomic<Bool>(false)

    public init(_ options: Options) throws(MQTTError) {
        _ = Self.libraryInitialised
        guard let handle = mosquitto_new(options.clientID, false, nil) else { throw MQTTError("mosquitto_new", code: nil) }
        self.handle = handle
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if options.protocolVersion5 { mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V5)) }
        if let username = options.username { try check(mosquitto_username_pw_set(handle, username, options.password), "set username") }
        if let ca = options.caFile {
            try check(mosquitto_tls_set(handle, ca, nil, options.certificateFile, options.keyFile, nil), "set TLS (CA \(ca))")
        }
        if let will = options.will {
            try check(will.payload.withUnsafeBytes { mosquitto_will_set(handle, will.topic, Int32(will.payload.count), $0.baseAddress, 1, will.retain) },
                      "set the Last Will")
        }
        mosquitto_reconnect_delay_set(handle, 1, 30, true)
        mosquitto_connect_callback_set(handle) { _, object, code in
            MQTTClient.from(object)?.connected(code)
        }
        mosquitto_disconnect_callback_set(handle) { _, object, code in
            MQTTClient.from(object)?.disconnected(code)
        }
        mosquitto_publish_callback_set(handle) { _, object, mid in
            MQTTClient.from(object)?.emit(.acknowledged(mid))
        }
        mosquitto_message_callback_set(handle) { _, object, message in
            guard let client = MQTTClient.from(object), let message = message?.pointee else { return }
            let payload = message.payloadlen > 0 ? Array(UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))) : []
            client.emit(.message(topic: String(cString: message.topic), payload: payload))
        }
        try check(mosquitto_connect_async(handle, options.host, Int32(options.port), Int32(options.keepAliveSeconds)),
                  "connect to \(options.host):\(options.port)", allowRetry: true)
        try check(mosquitto_loop_start(handle), "start the network thread")
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, true)
        mosquitto_destroy(handle)
    }

    /// Where events go (set before anything is expected).
    public func onEvent(_ handler: @escaping @Sendable (Event) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    /// Called on the network thread each time the connection is lost, before reconnecting: the
    /// Last Will it returns (if any) replaces the current one for the next connection.
    public func renewWillOnDisconnect(_ provider: @escaping @Sendable () -> WireMessage?) {
        willRenewal.withLock { $0 = provider }
    }

    public var isConnected: Bool { isConnectedFlag.load(ordering: .acquiring) }

    /// Publishes with QoS 1; returns the message id its PUBACK will carry.
    public func publish(topic: String, payload: [UInt8], retain: Bool = false) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let code = payload.withUnsafeBytes { mosquitto_publish(handle, &mid, topic, Int32(payload.count), $0.baseAddress, 1, retain) }
        try check(code, "publish to \(topic)")
        return mid
    }

    public func subscribe(_ pattern: String) throws(MQTTError) {
        try check(mosquitto_subscribe(handle, nil, pattern, 1), "subscribe to \(pattern)")
    }

    /// Sends DISCONNECT (no Will) and stops reconnecting.
    public func disconnect() {
        mosquitto_disconnect(handle)
    }

    private static let libraryInitialised: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    private static func from(_ object: UnsafeMutableRawPointer?) -> MQTTClient? {
        object.map { Unmanaged<MQTTClient>.fromOpaque($0).takeUnretainedValue() }
    }

    private func connected(_ code: Int32) {
        if code == 0 {
            isConnectedFlag.store(true, ordering: .releasing)
            emit(.connected)
        } else {
            emit(.disconnected("broker refused the connection: \(String(cString: mosquitto_connack_string(code)))"))
        }
    }

    private func disconnected(_ code: Int32) {
        isConnectedFlag.store(false, ordering: .releasing)
        if let will = willRenewal.withLock({ $0 })?() {
            _ = will.payload.withUnsafeBytes { mosquitto_will_set(handle, will.topic, Int32(will.payload.count), $0.baseAddress, 1, will.retain) }
        }
        emit(.disconnected(code == 0 ? "disconnected" : String(cString: mosquitto_strerror(code))))
    }

    private func emit(_ event: Event) {
        handler.withLock { $0 }?(event)
    }

    private func check(_ code: Int32, _ what: String, allowRetry: Bool = false) throws(MQTTError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        // With connect_async, an unreachable broker is retried by the network thread.
        if allowRetry && (code == MOSQ_ERR_ERRNO.rawValue || code == MOSQ_ERR_NO_CONN.rawValue) { return }
        throw MQTTError(what, code: code)
    }
}

/// An MQTT call that failed; says which and why.
public struct MQTTError: Error, CustomStringConvertible {
    public let description: String

    init(_ what: String, code: Int32?) {
        description = "MQTT: \(what) failed" + (code.map { ": \(String(cString: mosquitto_strerror($0)))" } ?? "")
    }
}
