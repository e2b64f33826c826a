import CMosquitto
import Foundation
import Synchronization

/// The connection thread: connect (credentials and TLS files read afresh, the Will renewed, MQTT 5's
/// Session Expiry Interval on the CONNECT), run `mosquitto_loop` while linked, and after any
/// failure wait out the backoff and connect again, until `disconnect()` or the client's end.
extension MQTTClient {
    /// One turn of the connection thread.
    enum Step {
        case again
        case wait(seconds: Double)
        case finish
    }

    /// Starts the thread. It holds the client weakly between turns, so a client nobody holds ends
    /// (its `deinit` stops the thread) even while the broker is unreachable.
    func startConnectionThread() {
        let control = self.control
        let thread = Thread { [weak self] in
            while true {
                let step: Step
                do {
                    guard let client = self, !control.stopping || client.phase.withLock({ $0 == .linked }) else { return }
                    step = client.turn()
                }
                switch step {
                case .again: continue
                case .wait(let seconds): control.wait(seconds: seconds)
                case .finish: return
                }
            }
        }
        thread.name = "pinion-mqtt"
        thread.start()
    }

    /// Connects when idle, else serves the link for up to a second.
    func turn() -> Step {
        phase.withLock { $0 } == .linked ? serveLink() : attempt()
    }

    /// One connection attempt: up to the CONNECT sent (the CONNACK comes while serving the link).
    private func attempt() -> Step {
        takePendingTarget()
        let attempt = link.withLock { state in
            state.refusal = nil
            state.loggedError = nil
            state.status.attempts += 1
            state.status.state = .connecting
            state.status.retryAt = nil
            return state.status.attempts
        }
        if attempt > 1, let will = renewedWill() { _ = setWill(will) }
        if let problem = applyCredentials() { return failed(problem) }
        phase.withLock { $0 = .connecting }
        let code = connectNow()
        let failure = errno
        guard code == MOSQ_ERR_SUCCESS.rawValue else {
            phase.withLock { $0 = .idle }
            return failed(connectFailure(code, errno: failure))
        }
        connackDeadline = .now + .milliseconds(Int64(options.connectTimeoutSeconds * 1000))
        phase.withLock { phase in
            phase = .linked
            if control.stopping { mosquitto_disconnect(handle) }
        }
        return .again
    }

    /// Takes the target `retarget` left, if any: the next attempt goes there, with no backoff.
    private func takePendingTarget() {
        guard let target = pendingTarget.withLock({ pending -> Options? in
            defer { pending = nil }
            return pending
        }) else { return }
        options.host = target.host
        options.port = target.port
        options.username = target.username
        options.password = target.password
        options.passwordFile = target.passwordFile
        options.caFile = target.caFile
        options.certificateFile = target.certificateFile
        options.keyFile = target.keyFile
        endpoint = "\(options.host):\(options.port)"
        backoff.reset()
        link.withLock { state in
            state.status.broker = endpoint
            state.status.failedAttempts = 0
        }
        linkChanged("connecting to \(endpoint) (new settings)")
    }

    /// The blocking connect (TCP, TLS begun, CONNECT queued): MQTT 5 with the Session Expiry
    /// Interval, every time; a clean session (Clean Start, set at `mosquitto_new`) sends none, so
    /// its expiry is 0 and it ends with the connection.
    private func connectNow() -> Int32 {
        let host = options.host, port = Int32(options.port), keepAlive = Int32(options.keepAliveSeconds)
        guard options.protocolVersion5, !options.cleanSession else { return mosquitto_connect(handle, host, port, keepAlive) }
        var properties: OpaquePointer?
        defer { mosquitto_property_free_all(&properties) }
        let added = mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpirySeconds)
        guard added == MOSQ_ERR_SUCCESS.rawValue else { return added }
        return mosquitto_connect_bind_v5(handle, host, port, keepAlive, nil, properties)
    }

    /// Runs the network loop for up to a second; a failure ends the link.
    private func serveLink() -> Step {
        let code = mosquitto_loop(handle, 1000, 1)
        if code == MOSQ_ERR_SUCCESS.rawValue {
            guard !isConnected, !control.stopping, ContinuousClock.now > connackDeadline else { return .again }
            phase.withLock { $0 = .idle }
            return failed("no answer (CONNACK) from MQTT broker \(endpoint) within \(NumericText.seconds(options.connectTimeoutSeconds)) s")
        }
        let failure = errno
        phase.withLock { $0 = .idle }
        isConnectedFlag.store(false, ordering: .releasing)
        // Closed by `retarget`: connect to the new broker now.
        if !control.stopping && pendingTarget.withLock({ $0 != nil }) { return .again }
        if control.stopping {
            link.withLock { $0.status.state = .stopped }
            return .finish
        }
        let (refusal, logged) = link.withLock { ($0.refusal, $0.loggedError) }
        if let refusal { return failed(refusal) }
        if code == MOSQ_ERR_TLS.rawValue || logged?.contains("OpenSSL") == true { return failed(tlsFailure(logged)) }
        let why = code == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(failure)) : String(cString: mosquitto_strerror(code))
        return failed("connection to MQTT broker \(endpoint) lost: \(why)")
    }

    /// Reports a failed attempt or a dropped link (once per different reason in the log) and says
    /// how long to wait before the next attempt.
    private func failed(_ why: String) -> Step {
        isConnectedFlag.store(false, ordering: .releasing)
        let delay = backoff.next()
        link.withLock { state in
            state.status.state = .waitingToRetry
            state.status.lastError = why
            state.status.failedAttempts += 1
            state.status.retryAt = Date().timeIntervalSince1970 + delay
        }
        linkChanged(why)
        emit(.disconnected(why))
        return .wait(seconds: delay)
    }

    /// Why the connect call failed, in words.
    private func connectFailure(_ code: Int32, errno failure: Int32) -> String {
        switch code {
        case MOSQ_ERR_TLS.rawValue:
            return tlsFailure(link.withLock { $0.loggedError })
        case MOSQ_ERR_EAI.rawValue:
            return "cannot connect to MQTT broker \(endpoint) yet (cannot resolve \(options.host): \(String(cString: gai_strerror(failure)))); retrying"
        case MOSQ_ERR_ERRNO.rawValue:
            return "cannot connect to MQTT broker \(endpoint) yet (\(String(cString: strerror(failure)))); retrying"
        case MOSQ_ERR_NO_CONN.rawValue, MOSQ_ERR_CONN_LOST.rawValue:
            return "cannot connect to MQTT broker \(endpoint) yet (\(String(cString: mosquitto_strerror(code)))); retrying"
        default:
            return "connecting to MQTT broker \(endpoint) failed: \(String(cString: mosquitto_strerror(code)))"
        }
    }

    /// Sets the username, the password (its file read now) and TLS (its files checked now, and
    /// loaded by libmosquitto as it connects); a problem, in words, or nil.
    private func applyCredentials() -> String? {
        var password = options.password
        if let file = options.passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else { return "cannot read the MQTT password file \(file)" }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // No username (a retarget may have removed it): no login.
        if options.username == nil { mosquitto_username_pw_set(handle, nil, nil) }
        if let username = options.username, mosquitto_username_pw_set(handle, username, password) != MOSQ_ERR_SUCCESS.rawValue {
            return "cannot set the MQTT username and password"
        }
        if let ca = options.caFile {
            if let problem = Self.unreadableTLSFile(ca: ca, certificate: options.certificateFile, key: options.keyFile) { return problem }
            let code = mosquitto_tls_set(handle, ca, nil, options.certificateFile, options.keyFile, nil)
            if code != MOSQ_ERR_SUCCESS.rawValue { return "TLS: setting CA \(ca) failed: \(String(cString: mosquitto_strerror(code)))" }
        }
        return nil
    }

    /// "TLS: cannot read the CA file PATH" for the first TLS file that cannot be read, or nil.
    public static func unreadableTLSFile(ca: String, certificate: String?, key: String?) -> String? {
        for (what, file) in [("CA", ca), ("client certificate", certificate), ("client key", key)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) { return "TLS: cannot read the \(what) file \(file)" }
        }
        return nil
    }
}

/// Where the connection thread is: between attempts, inside the blocking connect call, or linked
/// (a socket that `mosquitto_loop` serves and `disconnect()` may close).
enum ConnectionPhase: Sendable {
    case idle, connecting, linked
}

/// Stops the connection thread and wakes it from its backoff wait.
final class ConnectionLoopControl: @unchecked Sendable {
    private let condition = NSCondition()
    private let stopped = Atomic<Bool>(false)
    private let woken = Atomic<Bool>(false)

    var stopping: Bool { stopped.load(ordering: .acquiring) }

    func requestStop() {
        stopped.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the wait under way, or the next one, at once (new settings to connect with).
    func wake() {
        woken.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits `seconds`, or less when a stop or a wake is requested meanwhile.
    func wait(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopping && !woken.load(ordering: .acquiring) && Date() < deadline { _ = condition.wait(until: deadline) }
        woken.store(false, ordering: .releasing)
    }
}

/// Seconds as logs write them: 20, 0.5.
enum NumericText {
    static func seconds(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
