import Foundation
import Synchronization

/// Pinion's Sparkplug B edge node: one per gateway, its boards the node's devices.
///
/// - Every MQTT connection starts with NBIRTH (seq 0, the connection's `bdSeq`), then a DBIRTH per
///   attached board; the Last Will is the NDEATH with the same `bdSeq`, renewed (bdSeq + 1) each
///   time the connection is lost, so a host application can tell which birth a death ends.
/// - Reports (NDATA, DDATA) come from the outbox and get their `seq` (0–255, one counter for the
///   node and its devices) when published; reports that waited out an outage are flagged
///   `is_historical`. A report for a board that has left meanwhile is framed by a DBIRTH and a
///   DDEATH so that no host application sees data from a device that was not born.
/// - Boards arriving or leaving while connected are born or die at once (`deviceAttached`,
///   `deviceDetached`); while not connected they are only recorded, and the next births say who is there.
/// - NCMD `Node Control/Rebirth` = true: the births again.
///
/// Thread-safe: the publisher calls it from its actor, the MQTT thread calls `disconnected`.
public final class SparkplugSession: PublishSession {
    public static let bdSeqMetric = "bdSeq"
    public static let rebirthMetric = "Node Control/Rebirth"

    public let group: String
    public let node: String

    private struct State {
        var bdSeq: UInt64
        var seq: UInt64 = 0
        var online = false
        /// Each board's latest metrics, for its births; attached ones in arrival order.
        var attached: [String] = []
        var deviceMetrics: [String: [TelemetryMetric]] = [:]
        var nodeMetrics: [TelemetryMetric] = []
        /// Devices born on the current connection.
        var born: Set<String> = []
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> UInt64

    /// - Parameters:
    ///   - bdSeq: this start's birth/death sequence number (keep it across restarts: one more each start).
    ///   - clock: milliseconds since the Unix epoch.
    public init(group: String, node: String, bdSeq: UInt64,
                clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }) {
        self.group = group
        self.node = node
        self.clock = clock
        state = Mutex(State(bdSeq: bdSeq % 256))
    }

    public var bdSeq: UInt64 { state.withLock { $0.bdSeq } }

    public func topic(_ type: SparkplugTopic.MessageType, device: String? = nil) -> String {
        SparkplugTopic(group: group, type: type, node: node, device: device).description
    }

    /// The NDEATH for the current bdSeq: the Last Will to connect with.
    public var will: WireMessage {
        state.withLock { deathMessage(bdSeq: $0.bdSeq) }
    }

    public var subscriptions: [String] { [topic(.nodeCommand)] }

    // MARK: - Reports

    /// Remembers the latest values (births carry them) and returns the outbox form of the report:
    /// an NDATA or DDATA payload without seq.
    public func report(_ report: TelemetryReport) -> WireMessage {
        state.withLock { state in
            if let device = report.device { state.deviceMetrics[device] = report.metrics } else { state.nodeMetrics = report.metrics }
        }
        let payload = SparkplugPayload(metrics: report.metrics, timestampMilliseconds: report.timestampMilliseconds)
        return WireMessage(topic: topic(report.device == nil ? .nodeData : .deviceData, device: report.device),
                           payload: Array((try? payload.serializedData()) ?? Data()))
    }

    /// A board arrived: its DBIRTH now when connected. What this returns must be published
    /// (call it inside `UpstreamPublisher.publishNow`), or the board counts as born unseen.
    public func deviceAttached(_ serial: String, metrics: [TelemetryMetric]) -> [WireMessage] {
        state.withLock { state in
            state.deviceMetrics[serial] = metrics
            if !state.attached.contains(serial) { state.attached.append(serial) }
            guard state.online else { return [] }
            state.born.insert(serial)
            return [deviceBirth(serial, &state)]
        }
    }

    /// A board left: its DDEATH now when connected and born (publish it as `deviceAttached` says).
    public func deviceDetached(_ serial: String) -> [WireMessage] {
        state.withLock { state in
            state.attached.removeAll { $0 == serial }
            guard state.online, state.born.remove(serial) != nil else { return [] }
            return [stamped(topic(.deviceDeath, device: serial), SparkplugPayload(metrics: [], timestampMilliseconds: clock()), &state)]
        }
    }

    // MARK: - PublishSession

    public func connected() -> [WireMessage] {
        state.withLock { state in
            state.online = true
            return births(&state)
        }
    }

    public func disconnected() -> WireMessage? {
        state.withLock { state in
            state.online = false
            state.born = []
            state.bdSeq = (state.bdSeq + 1) % 256
            return deathMessage(bdSeq: state.bdSeq)
        }
    }

    public func prepare(_ message: Outbox.Message, connectedAt: Date) -> PreparedMessage {
        guard let topic = SparkplugTopic(parsing: message.topic), topic.group == group, topic.node == node,
              var payload = try? SparkplugPayload(serializedBytes: message.payload) else {
            return PreparedMessage(message: WireMessage(message))
        }
        if message.createdAt < connectedAt {
            for index in payload.metrics.indices { payload.metrics[index].isHistorical = true }
        }
        return state.withLock { state in
            guard topic.type == .deviceData, let device = topic.device, !state.born.contains(device) else {
                return PreparedMessage(message: stamped(message.topic, payload, &state))
            }
            // Data of a board that is not born on this connection (it left during the outage).
            let birth = deviceBirth(device, &state, historical: true)
            let data = stamped(message.topic, payload, &state)
            if state.attached.contains(device) {
                state.born.insert(device)
                return PreparedMessage(before: [birth], message: data)
            }
            let death = stamped(self.topic(.deviceDeath, device: device), SparkplugPayload(metrics: [], timestampMilliseconds: clock()), &state)
            return PreparedMessage(before: [birth], message: data, after: [death])
        }
    }

    public func received(topic: String, payload: [UInt8]) -> [WireMessage] {
        guard SparkplugTopic(parsing: topic) == SparkplugTopic(group: group, type: .nodeCommand, node: node),
              let command = try? SparkplugPayload(serializedBytes: payload),
              command.metric(named: Self.rebirthMetric)?.telemetryValue == .bool(true) else { return [] }
        return state.withLock { state in
            guard state.online else { return [] }
            return births(&state)
        }
    }

    // MARK: - Messages

    private func births(_ state: inout State) -> [WireMessage] {
        state.seq = 0
        state.born = []
        var metrics = [TelemetryMetric(Self.bdSeqMetric, .unsigned(state.bdSeq)), TelemetryMetric(Self.rebirthMetric, .bool(false))]
        metrics += state.nodeMetrics
        var payload = SparkplugPayload(metrics: metrics, timestampMilliseconds: clock())
        payload.seq = 0
        var messages = [WireMessage(topic: topic(.nodeBirth), payload: Array((try? payload.serializedData()) ?? Data()))]
        for device in state.attached {
            state.born.insert(device)
            messages.append(deviceBirth(device, &state))
        }
        return messages
    }

    private func deviceBirth(_ device: String, _ state: inout State, historical: Bool = false) -> WireMessage {
        var payload = SparkplugPayload(metrics: state.deviceMetrics[device] ?? [], timestampMilliseconds: clock())
        if historical { for index in payload.metrics.indices { payload.metrics[index].isHistorical = true } }
        return stamped(topic(.deviceBirth, device: device), payload, &state)
    }

    /// Sets the next seq (after NBIRTH's 0: 1…255, then 0 again) and encodes.
    private func stamped(_ topic: String, _ payload: SparkplugPayload, _ state: inout State) -> WireMessage {
        var payload = payload
        state.seq = (state.seq + 1) % 256
        payload.seq = state.seq
        return WireMessage(topic: topic, payload: Array((try? payload.serializedData()) ?? Data()))
    }

    private func deathMessage(bdSeq: UInt64) -> WireMessage {
        let payload = SparkplugPayload(metrics: [TelemetryMetric(Self.bdSeqMetric, .unsigned(bdSeq))], timestampMilliseconds: clock())
        return WireMessage(topic: topic(.nodeDeath), payload: Array((try? payload.serializedData()) ?? Data()))
    }
}
