import CMosquitto
import Foundation
import Synchronization

/// An MQTT client over libmosquitto that owns its connection's lifecycle: MQTT 5 or 3.1.1, a
/// persistent session (MQTT 5: a Session Expiry Interval on every CONNECT) or a clean one (`Options.cleanSession`), username and password
/// (the password file read again before each attempt), TLS with a CA and a client certificate
/// (the files read again before each attempt), a Last Will renewed before each reconnection, and
/// reconnection after every failure — refused, TLS, DNS, timeout, lost — with capped exponential
/// backoff and jitter (`MQTTBackoff`), for as long as the client lives or until `disconnect()`.
///
/// One dedicated thread runs the connection (`MQTTClient+Connect.swift`): it connects, runs
/// `mosquitto_loop`, and on failure waits and connects again. libmosquitto calls back on that
/// thread; the callbacks only record and hand on, so they never block it. Thread-safe.
public final class MQTTClient: @unchecked Sendable {
    /// How to reach and log in to the broker.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        /// MQTT 5 instead of 3.1.1.
        public var protocolVersion5 = true
        /// MQTT 5: the Session Expiry Interval every CONNECT carries: how long the broker keeps this
        /// client's session (its subscriptions and the QoS 1 messages queued for it) while it is
        /// away. 3.1.1 sessions (clean session off) last until the broker's own limit.
        public var sessionExpirySeconds: UInt32 = 86_400
        public var username: String?
        public var password: String?
        /// A file holding the password (one line, surrounding white space ignored), read again
        /// before each connection attempt: a password changed in place is used from the next
        /// attempt on. Takes precedence over `password`.
        public var passwordFile: String?
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var keepAliveSeconds = 30
        /// An attempt with no CONNACK this long after it began has failed (a broker that accepts
        /// TCP and says nothing).
        public var connectTimeoutSeconds = 20.0
        /// The delays between attempts.
        public var backoff = MQTTBackoff()
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
        /// An attempt failed (refused, TLS, unreachable) or the link dropped; the client tries again
        /// by itself after a backoff delay.
        case disconnected(String)
        /// PUBACK for a QoS 1 publish (its message id); for QoS 0, the message was written to the network.
        case acknowledged(Int32)
        case message(topic: String, payload: [UInt8])
    }

    let handle: OpaquePointer
    // Read and written on the connection thread only, after `init` (a retarget is handed over in `pendingTarget`).
    nonisolated(unsafe) var options: Options
    /// Where the next attempt connects to, set by `retarget` (a reload); the connection thread takes it.
    let pendingTarget = Mutex<Options?>(nil)
    // The callbacks, under `callbackLock`: plain stored closures (a closure kept in a generic
    // container such as Mutex is re-wrapped in conversion thunks on each read and write).
    private let callbackLock = NSLock()
    private nonisolated(unsafe) var eventHandler: (@Sendable (Event) -> Void)?
    /// Events that came before any handler was set (a persistent session's queued messages can
    /// arrive the moment it connects): the first handler gets them, in order.
    private nonisolated(unsafe) var eventsBeforeHandler: [Event] = []
    private nonisolated(unsafe) var willRenewal: (@Sendable () -> WireMessage?)?
    let isConnectedFlag = Atomic<Bool>(false)
    private let connections = Atomic<Int>(0)
    let link: Mutex<LinkState>
    /// Whether the connection thread holds a socket that `disconnect()` may close.
    let phase = Mutex(ConnectionPhase.idle)
    let control = ConnectionLoopControl()
    // The connection thread's own: read and written on it only.
    nonisolated(unsafe) var backoff: MQTTBackoff
    nonisolated(unsafe) var connackDeadline = ContinuousClock.now
    nonisolated(unsafe) var endpoint: String

    /// Checks the options, then starts connecting on the client's own thread (in the background:
    /// the broker may be down). Throws only for what no retry can mend (a TLS file unreadable now
    /// is taken as a mistake in the configuration).
    public init(_ options: Options) throws(MQTTError) {
        _ = Self.libraryInitialised
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, nil) else { throw MQTTError("mosquitto_new", code: nil) }
        self.handle = handle
        self.options = options
        endpoint = "\(options.host):\(options.port)"
        backoff = options.backoff
        link = Mutex(LinkState(status: MQTTLinkStatus(state: .connecting, broker: endpoint)))
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        // Publishing threads only queue; the connection thread writes (libmosquitto's "external" threading).
        mosquitto_threaded_set(handle, true)
        if options.protocolVersion5 { mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V5)) }
        if let ca = options.caFile {
            if let problem = Self.unreadableTLSFile(ca: ca, certificate: options.certificateFile, key: options.keyFile) { throw MQTTError(problem) }
        }
        if let will = options.will { try check(setWill(will), "set the Last Will") }
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
        startConnectionThread()
    }

    deinit {
        control.requestStop()
        phase.withLock { if $0 == .linked { mosquitto_disconnect(handle) } }
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

    /// Called on the connection thread before each reconnection attempt: the Last Will it returns
    /// (if any) replaces the current one for that attempt's CONNECT.
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

    /// The link now: connected, connecting or waiting to retry, the last error, attempts made.
    public var linkStatus: MQTTLinkStatus { link.withLock { $0.status } }

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

    /// Connects to the broker, and logs in, as `target` says from the next attempt on: its host,
    /// port, username, password and TLS files (the client id, the Will, the session and the protocol
    /// stay). A link up now is closed with a DISCONNECT (no Will: say goodbye first where the Will
    /// matters) and made again at once to the new broker; a wait for the next attempt is cut short.
    public func retarget(_ target: Options) {
        pendingTarget.withLock { $0 = target }
        phase.withLock { if $0 == .linked { mosquitto_disconnect(handle) } }
        control.wake()
    }

    /// Sends DISCONNECT (no Will) and stops reconnecting.
    public func disconnect() {
        control.requestStop()
        phase.withLock { if $0 == .linked { mosquitto_disconnect(handle) } }
    }

    private static let libraryInitialised: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    private static func from(_ object: UnsafeMutableRawPointer?) -> MQTTClient? {
        object.map { Unmanaged<MQTTClient>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The Last Will to renew before a reconnection, if the publisher gave a way to.
    func renewedWill() -> WireMessage? {
        callbackLock.withLock({ willRenewal })?()
    }

    /// The CONNACK (on the connection thread).
    private func connected(_ code: Int32) {
        if code == 0 {
            let count = connections.add(1, ordering: .releasing).newValue
            isConnectedFlag.store(true, ordering: .releasing)
            backoff.reset()
            link.withLock { state in
                state.status.state = .connected
                state.status.connections = count
                state.status.failedAttempts = 0
                state.status.retryAt = nil
            }
            linkChanged("connected to \(endpoint)")
            emit(.connected)
        } else {
            let why = refusal(code)
            link.withLock { $0.refusal = why }
        }
    }

    /// Sets the Last Will (QoS 1) the next CONNECT carries; libmosquitto's return code.
    func setWill(_ will: WireMessage) -> Int32 {
        will.payload.withUnsafeBytes { mosquitto_will_set(handle, will.topic, Int32(will.payload.count), $0.baseAddress, 1, will.retain) }
    }

    /// The socket closed (on the connection thread). A failure is reported by the connection loop,
    /// which knows the attempt's whole story; a DISCONNECT of ours is reported here.
    private func disconnected(_ code: Int32) {
        isConnectedFlag.store(false, ordering: .releasing)
        guard code == 0 else { return }
        let why = "disconnected from \(endpoint)"
        link.withLock { $0.status.state = .stopped }
        linkChanged(why)
        emit(.disconnected(why))
    }

    /// The broker's CONNACK said no: say which and, for credentials, that it was the credentials.
    private func refusal(_ code: Int32) -> String {
        let reason = String(cString: options.protocolVersion5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code))
        let credentials: Set<Int32> = options.protocolVersion5
            ? [Int32(MQTT_RC_BAD_USERNAME_OR_PASSWORD.rawValue), Int32(MQTT_RC_NOT_AUTHORIZED.rawValue)]
            : [Int32(CONNACK_REFUSED_BAD_USERNAME_PASSWORD.rawValue), Int32(CONNACK_REFUSED_NOT_AUTHORIZED.rawValue)]
        guard credentials.contains(code) else { return "MQTT broker \(endpoint) refused the connection: \(reason)" }
        if let username = options.username {
            return "MQTT broker \(endpoint) refused the credentials of user \"\(username)\" (\(reason)): check the username and password"
        }
        return "MQTT broker \(endpoint) refused a connection without credentials (\(reason)): it needs a username and password"
    }

    /// A failed handshake, in OpenSSL's words ("OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed").
    func tlsFailure(_ logged: String?) -> String {
        let detail = logged.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? $0 } ?? "handshake failed"
        let hint = detail.contains("certificate verify failed") ? " (is the CA file the one that signed the broker's certificate?)"
            : detail.contains("certificate required") ? " (the broker wants a client certificate and key)" : ""
        return "TLS with MQTT broker \(endpoint) failed: \(detail)\(hint)"
    }

    /// libmosquitto logged an error: the attempt's first such line (OpenSSL's reason for a failed
    /// handshake, which calls no callback) is kept for the connection loop.
    private func loggedError(_ line: String) {
        link.withLock { state in
            if state.loggedError == nil { state.loggedError = line }
        }
    }

    /// Hands `line` to the link's handler unless it is the line last handed on.
    func linkChanged(_ line: String) {
        let handler = link.withLock { state -> (@Sendable (String) -> Void)? in
            guard state.last != line else { return nil }
            state.last = line
            return state.handler
        }
        handler?(line)
    }

    func emit(_ event: Event) {
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
struct LinkState {
    var handler: (@Sendable (String) -> Void)?
    var last: String?
    var status: MQTTLinkStatus
    /// The current attempt's CONNACK refusal, in words.
    var refusal: String?
    /// The current attempt's first MOSQ_LOG_ERR line from libmosquitto (OpenSSL's reason for a failed handshake).
    var loggedError: String?
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
