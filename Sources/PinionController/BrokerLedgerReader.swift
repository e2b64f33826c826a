import Foundation
import PinionLedger
import PinionUpstream
import Synchronization

/// Reads the ledger entries gateways publish upstream, as the network's auditor does: subscribes
/// to `<prefix>/<gateway>/ledger` (`+` for every gateway) and collects what arrives until the
/// broker has been quiet for a while.
///
/// With a fixed client id the session is persistent (it always speaks MQTT 3.1.1), so the broker keeps what is
/// published between two readings and the next one gets it: an auditor that reads every hour with
/// the same id sees every entry. A fresh id sees only what arrives while it listens.
public enum BrokerLedgerReader {
    /// What arrived, per gateway key (the topic's gateway level), in arrival order.
    public struct Collected: Sendable {
        public var entries: [String: [LedgerEntry]] = [:]
        /// Messages on a ledger topic that are not ledger entries: `topic: what is wrong`.
        public var unreadable: [String] = []
    }

    /// - Parameters:
    ///   - quiet: stop once nothing has arrived for this long after subscribing.
    ///   - connectTimeout: give up when the broker cannot be reached in this time.
    public static func collect(_ settings: UpstreamSettings, gateway: String?, clientID: String,
                               quiet: Duration, connectTimeout: Duration = .seconds(10)) async throws -> Collected {
        let topic = "\(settings.topicPrefix)/\(gateway ?? "+")/ledger"
        let client: MQTTClient
        do {
            var options = try settings.clientOptions(clientID: clientID)
            // 3.1.1 whatever [upstream] mqtt5 says: the auditor's session must last between runs,
            // however far apart, and a 3.1.1 session has no expiry interval of its own.
            options.protocolVersion5 = false
            client = try MQTTClient(options)
        } catch let error as ControllerError {
            throw error
        } catch {
            throw ControllerError("broker \(settings.host):\(settings.port): \(error)")
        }
        defer { client.disconnect() }
        let state = Mutex((collected: Collected(), lastArrival: ContinuousClock.now, subscribed: false, link: ""))
        client.onLinkChange { line in state.withLock { $0.link = line } }
        // Events that came before this (the connection, a session's queued entries) come first, in order.
        client.onEvent { [weak client] event in
            switch event {
            case .connected:
                try? client?.subscribe(topic)
                state.withLock { $0.subscribed = true; $0.lastArrival = .now }
            case .message(let topic, let payload):
                let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
                let key = levels.count >= 2 ? String(levels[levels.count - 2]) : topic
                let entry = try? JSONDecoder().decode(LedgerEntry.self, from: Data(payload))
                state.withLock { state in
                    if let entry { state.collected.entries[key, default: []].append(entry) } else {
                        state.collected.unreadable.append("\(topic): not a ledger entry (\(payload.count) bytes)")
                    }
                    state.lastArrival = .now
                }
            case .disconnected, .acknowledged:
                break
            }
        }
        let giveUp = ContinuousClock.now + connectTimeout
        while !state.withLock({ $0.subscribed }) {
            guard ContinuousClock.now < giveUp else {
                let link = state.withLock { $0.link }
                throw ControllerError("broker \(settings.host):\(settings.port) not reached within \(connectTimeout)\(link.isEmpty ? "" : ": \(link)")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        while ContinuousClock.now - state.withLock({ $0.lastArrival }) < quiet {
            try await Task.sleep(for: .milliseconds(50))
        }
        return state.withLock { $0.collected }
    }

    /// Orders a gateway's collected entries for checking (`LedgerVerifier.verifyDelivered`
    /// checks them in this order): by sequence number, those with one number in arrival order.
    public static func ordered(_ entries: [LedgerEntry]) -> [LedgerEntry] {
        LedgerVerifier.deliveryOrder(entries)
    }
}
