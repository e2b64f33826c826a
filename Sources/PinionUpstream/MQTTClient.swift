import CMosquitto
import Foundation
import Synchronization

/// An MQTT client over libmosquitto, using its own network thread (`mosquitto_loop_start`):
/// MQTT 5 or 3.1.1, a persistent session (or a clean one, `Options.cleanSession`), username/password, TLS with a CA and a client
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
        /// MQTT 5 instead of 3.1.1. libmosquitto 2.0 sends no Session Expiry Interval when it
        /// reconnects by itself, so an MQTT 5 session ends with every dropped link and the broker
        /// queues nothing for this client while it is away; a 3.1.1 session (clean session off)
        /// lasts until the client comes back (see docs/upstream.md for what that costs).
        public var protocolVersion5 = true
        public var username: String?
        public var password: String?
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var keepAliveSeconds = 30
        /// Published by the broker if this client vanishes.
        public var will: WireMessage?
        /// A clean session: MQTT 5 Clean Start true and no Session Expiry Interval (0: the session
        /// ends with the connection), MQTT 3.1.1 Clean Session true. Sparkplug asks this of an
        /// edge node (tck-id-principles-persistence-clean-session-50, -311).
        public var cleanSession = false

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
        /// PUBACK for a QoS 1 publish (its message id); for QoS 0, the message was written to the network.
        case acknowledged(Int32)
        case message(topic: String, payload: [UInt8])
    }

    private let handle: OpaquePointer
    // The callbacks, under `callbackLock`: plain stored closures (a closure kept in a generic
    // container such as Mutex is re-wrapped in conversion thunks on each read and write).
    private let callbackLock = NSLock()
    private nonisolated(unsafe) var eventHandler: (@Sendable (Event) -> Void)?
    /// Events that came before any handler was set (a persistent session's queued messages can
    /// arrive the moment it connects): the first handler gets them, in order.
    private nonisolated(unsafe) var eventsBeforeHandler: [Event] = []
    private nonisolated(unsafe) var willRenewal: (@Sendable () -> WireMessage?)?
    private let isConnectedFlag = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    private let link = Mutex(LinkState())
    private let endpoint: String
    private let username: String?
    private let protocolVersion5: Bool

    public init(_ options: Options) throws(MQTTError) {
        _ = Self.libraryInitialised
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, nil) else { throw MQTTError("mosquitto_new", code: nil) }
        self.handle = handle
        endpoint = "\(options.host):\(options.port)"
        username = options.username
        protocolVersion5 = options.protocolVersion5
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        if options.protocolVersion5 { mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V5)) }
        if let username = options.username { try check(mosquitto_username_pw_set(handle, username, options.password), "set username") }
        if let ca = options.caFile {
            for (what, file) in [("CA", ca), ("client certificate", options.certificateFile), ("client key", options.keyFile)] {
                if let file, !FileManager.default.isReadableFile(atPath: file) { throw MQTTError("TLS: cannot read the \(what) file \(file)") }
            }
            try check(mosquitto_tls_set(handle, ca, nil, options.certificateFile, options.keyFile, nil), "set TLS (CA \(ca))")
        }
        if let will = options.will { try check(setWill(will), "set the Last Will") }
        mosquitto_reconnect_delay_set(handle, 1, 30, true)
        mosquitto_connect_callback_set(handle) { _, object, code in
            MQTTClient.from(object)?.connected(code)
        }
        mosquitto_disconnect_callback_set(handle) { _, object, code in
            MQTTClient.from(object)?.disconnected(code)
        }
        mosquitto_log_callback_set(handle) { _, object, level, text in
            guard level == MOSQ_LOG_ERR, let text else { return }
            MQTTClient.from(object)?.loggedError(String(cString: text))
        }
        mosquitto_publish_callback_set(handle) { _, object, mid in
            MQTTClient.from(object)?.emit(.acknowledged(mid))
        }
        mosquitto_message_callback_set(handle) { _, object, message in
            guard let client = MQTTClient.from(object), let message = message?.pointee else { return }
            let payload = message.payloadlen > 0 ? Array(UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))) : []
            client.emit(.message(topic: String(cString: message.topic), payload: payload))
        }
        let connecting = mosquitto_connect_async(handle, options.host, Int32(options.port), Int32(options.keepAliveSeconds))
        let failure = errno
        switch connecting {
        case MOSQ_ERR_TLS.rawValue:
            // The handshake already failed (a wrong CA, say; the log line reported it): retried like an unreachable broker.
            link.withLock { $0.lastLoggedError = nil }
        case MOSQ_ERR_ERRNO.rawValue, MOSQ_ERR_NO_CONN.rawValue, MOSQ_ERR_CONN_LOST.rawValue, MOSQ_ERR_EAI.rawValue:
            // Unreachable or not yet resolvable (a gateway booting before its network): retried by the
            // network thread, which reports nothing until it connects, so say so now.
            let why = connecting == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(failure)) : String(cString: mosquitto_strerror(connecting))
            linkChanged("cannot connect to MQTT broker \(endpoint) yet (\(why)); retrying", refused: false)
        default:
            try check(connecting, "connect to \(options.host):\(options.port)")
        }
        try check(mosquitto_loop_start(handle), "start the network thread")
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, true)
        mosquitto_destroy(handle)
    }

    /// Where events go (set before anything is expected).
    /// Events that came before the first handler are handed to it first, in order.
    public func onEvent(_ handler: @escaping @Sendable (Event) -> Void) {
        callbackLock.withLock {
            eventHandler = handler
            // Under the lock, so that an event arriving meanwhile waits and comes after these.
            for event in eventsBeforeHandler { handler(event) }
            eventsBeforeHandler = []
        }
    }

    /// Called on the network thread each time the connection is lost, before reconnecting: the
    /// Last Will it returns (if any) replaces the current one for the next connection.
    public func renewWillOnDisconnect(_ provider: @escaping @Sendable () -> WireMessage?) {
        callbackLock.withLock { willRenewal = provider }
    }

    /// One line whenever the link changes ("connected to HOST:PORT", or why it is not), not
    /// repeated while it stays the same (a refused login is retried, and reported once): for a log.
    /// A change that came before the handler is handed to it at once.
    public func onLinkChange(_ handler: @escaping @Sendable (String) -> Void) {
        let current = link.withLock { state in
            state.handler = handler
            return state.last
        }
        if let current { handler(current) }
    }

    public var isConnected: Bool { isConnectedFlag.load(ordering: .acquiring) }

    /// How many connections have been made: tells one connection's `.connected` from the next.
    public var connectionCount: Int { connections.load(ordering: .acquiring) }

    /// Publishes with QoS 1 (or `qos`); returns the message id its PUBACK will carry (QoS 0: the
    /// id `.acknowledged` reports once the message is written to the network).
    public func publish(topic: String, payload: [UInt8], retain: Bool = false, qos: Int32 = 1) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let code = payload.withUnsafeBytes { mosquitto_publish(handle, &mid, topic, Int32(payload.count), $0.baseAddress, qos, retain) }
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
            connections.add(1, ordering: .releasing)
            isConnectedFlag.store(true, ordering: .releasing)
            linkChanged("connected to \(endpoint)", refused: false)
            emit(.connected)
        } else {
            let why = refusal(code)
            linkChanged(why, refused: true)
            emit(.disconnected(why))
        }
    }

    /// Sets the Last Will (QoS 1) the next CONNECT carries; libmosquitto's return code.
    private func setWill(_ will: WireMessage) -> Int32 {
        will.payload.withUnsafeBytes { mosquitto_will_set(handle, will.topic, Int32(will.payload.count), $0.baseAddress, 1, will.retain) }
    }

    private func disconnected(_ code: Int32) {
        isConnectedFlag.store(false, ordering: .releasing)
        if let will = callbackLock.withLock({ willRenewal })?() { _ = setWill(will) }
        let why = code == 0 ? "disconnected from \(endpoint)" : lostConnection(code)
        // The refusal just reported says more than the disconnection that follows it.
        if link.withLock({ $0.refused }) { return }
        linkChanged(why, refused: false)
        emit(.disconnected(why))
    }

    /// The broker's CONNACK said no: say which and, for credentials, that it was the credentials.
    private func refusal(_ code: Int32) -> String {
        let reason = String(cString: protocolVersion5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code))
        let credentials: Set<Int32> = protocolVersion5
            ? [Int32(MQTT_RC_BAD_USERNAME_OR_PASSWORD.rawValue), Int32(MQTT_RC_NOT_AUTHORIZED.rawValue)]
            : [Int32(CONNACK_REFUSED_BAD_USERNAME_PASSWORD.rawValue), Int32(CONNACK_REFUSED_NOT_AUTHORIZED.rawValue)]
        guard credentials.contains(code) else { return "MQTT broker \(endpoint) refused the connection: \(reason)" }
        if let username { return "MQTT broker \(endpoint) refused the credentials of user \"\(username)\" (\(reason)): check the username and password" }
        return "MQTT broker \(endpoint) refused a connection without credentials (\(reason)): it needs a username and password"
    }

    /// The link failed or dropped: libmosquitto's reason, or for TLS, OpenSSL's (from the log).
    private func lostConnection(_ code: Int32) -> String {
        let logged = link.withLock { state in
            defer { state.lastLoggedError = nil }
            return state.lastLoggedError
        }
        if code == MOSQ_ERR_TLS.rawValue || logged?.contains("OpenSSL") == true { return tlsFailure(logged) }
        return "connection to MQTT broker \(endpoint) lost: \(String(cString: mosquitto_strerror(code)))"
    }

    /// A failed handshake, in OpenSSL's words ("OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed").
    private func tlsFailure(_ logged: String?) -> String {
        let detail = logged.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? $0 } ?? "handshake failed"
        let hint = detail.contains("certificate verify failed") ? " (is the CA file the one that signed the broker's certificate?)"
            : detail.contains("certificate required") ? " (the broker wants a client certificate and key)" : ""
        return "TLS with MQTT broker \(endpoint) failed: \(detail)\(hint)"
    }

    /// libmosquitto logged an error. A failed handshake while (re)connecting calls no callback:
    /// its first OpenSSL line is the news.
    private func loggedError(_ line: String) {
        link.withLock { $0.lastLoggedError = line }
        guard line.hasPrefix("OpenSSL Error[0]"), !isConnected else { return }
        let why = tlsFailure(line)
        linkChanged(why, refused: false)
        emit(.disconnected(why))
    }

    private func linkChanged(_ line: String, refused: Bool) {
        let handler = link.withLock { state -> (@Sendable (String) -> Void)? in
            state.refused = refused
            guard state.last != line else { return nil }
            state.last = line
            return state.handler
        }
        handler?(line)
    }

    private func emit(_ event: Event) {
        let handler = callbackLock.withLock { () -> (@Sendable (Event) -> Void)? in
            // A client nobody ever listens to (a test's publisher) keeps the first 10,000 only.
            if eventHandler == nil && eventsBeforeHandler.count < 10_000 { eventsBeforeHandler.append(event) }
            return eventHandler
        }
        handler?(event)
    }

    private func check(_ code: Int32, _ what: String) throws(MQTTError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        throw MQTTError(what, code: code)
    }
}

/// What the link last reported, and whom to tell when that changes.
private struct LinkState {
    var handler: (@Sendable (String) -> Void)?
    var last: String?
    /// The last CONNACK was a refusal (the disconnection that follows is not news).
    var refused = false
    /// libmosquitto's last MOSQ_LOG_ERR line (OpenSSL's reason for a failed handshake).
    var lastLoggedError: String?
}

/// An MQTT call that failed; says which and why.
public struct MQTTError: Error, CustomStringConvertible {
    public let description: String

    init(_ message: String) {
        description = "MQTT: \(message)"
    }

    init(_ what: String, code: Int32?) {
        description = "MQTT: \(what) failed" + (code.map { ": \(String(cString: mosquitto_strerror($0)))" } ?? "")
    }
}
