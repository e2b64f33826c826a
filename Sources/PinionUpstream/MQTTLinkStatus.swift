import Foundation

/// Where an `MQTTClient`'s link to its broker stands, for `pinion status` and `/metrics`: what it
/// is doing now, why the last attempt failed, and how many attempts and connections it made.
public struct MQTTLinkStatus: Sendable, Hashable, Codable {
    /// What the link is doing.
    public enum State: String, Sendable, Hashable, Codable {
        /// A connection attempt is under way (TCP, TLS, CONNECT sent and no CONNACK yet).
        case connecting
        /// The broker accepted the connection.
        case connected
        /// The last attempt failed or the link dropped; the next attempt comes at `retryAt`.
        case waitingToRetry = "waiting-to-retry"
        /// `disconnect()` was called: no more attempts.
        case stopped
    }

    public var state: State
    /// `host:port`.
    public var broker: String
    /// Why the last attempt failed or the link last dropped, in words; nil before any failure.
    /// Kept after a later success, so that a flapping link can be told from a steady one.
    public var lastError: String?
    /// Connection attempts since start.
    public var attempts: Int
    /// Attempts that failed since the last successful connection (0 while connected).
    public var failedAttempts: Int
    /// Connections the broker accepted since start.
    public var connections: Int
    /// When the next attempt is due (Unix seconds), while `waitingToRetry`.
    public var retryAt: Double?

    public init(state: State, broker: String, lastError: String? = nil, attempts: Int = 0, failedAttempts: Int = 0,
                connections: Int = 0, retryAt: Double? = nil) {
        self.state = state
        self.broker = broker
        self.lastError = lastError
        self.attempts = attempts
        self.failedAttempts = failedAttempts
        self.connections = connections
        self.retryAt = retryAt
    }

    /// One line for `pinion status`: "upstream: connected to HOST:PORT (3 connections, 5 attempts)",
    /// or "upstream: waiting-to-retry (in 4.2 s) HOST:PORT after 7 failed attempts: WHY".
    public func line(now: Date = Date()) -> String {
        switch state {
        case .connected:
            return "upstream: connected to \(broker) (\(connections) connection\(connections == 1 ? "" : "s"), \(attempts) attempt\(attempts == 1 ? "" : "s"))"
        case .stopped:
            return "upstream: stopped (\(broker))"
        case .connecting, .waitingToRetry:
            let retry = retryAt.map { String(format: " (next attempt in %.1f s)", max(0, $0 - now.timeIntervalSince1970)) } ?? ""
            let why = lastError.map { ": \($0)" } ?? ""
            return "upstream: NOT CONNECTED, \(state.rawValue)\(state == .waitingToRetry ? retry : "") to \(broker) after \(failedAttempts) failed attempt\(failedAttempts == 1 ? "" : "s")\(why)"
        }
    }
}
