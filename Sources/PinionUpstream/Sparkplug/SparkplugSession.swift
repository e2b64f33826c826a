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
/// - Births, data and device deaths go QoS 0 (the Will, NDEATH, QoS 1), as Sparkplug 3.0 asks.
/// - Every metric has an alias, named with it in the births; data carries the alias only.
/// - With a Primary Host Application (`primaryHost`), nothing is born or published until its
///   STATE says online; when it says offline, NDEATH and silence until it is back.
/// - Each new bdSeq is handed to `persistBdSeq` (synchronously) before the CONNECT that uses it.
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
        /// Each metric's alias ("" + name for the node's, serial + "/" + name for a device's), unique across the node.
        var aliases: [String: UInt64] = [:]
        /// The Primary Host Application's last STATE: online, and its timestamp.
        var hostOnline: Bool
        var hostTimestamp: UInt64 = 0
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> UInt64
    private let persistBdSeq: (@Sendable (UInt64) -> Void)?
    /// The Primary Host Application's id, when births wait for its STATE.
    public let primaryHost: String?

    /// - Parameters:
    ///   - bdSeq: this start's birth/death sequence number (keep it across restarts: one more each start).
    ///   - nodeMetrics: every metric the node reports, with its current value: the NBIRTH declares them.
    ///   - primaryHost: the Primary Host Application whose STATE births and data wait for.
    ///   - persistBdSeq: stores the next bdSeq; called on the MQTT thread before the CONNECT that uses it.
    ///   - clock: milliseconds since the Unix epoch.
    public init(group: String, node: String, bdSeq: UInt64, nodeMetrics: [TelemetryMetric] = [], primaryHost: String? = nil,
                persistBdSeq: (@Sendable (UInt64) -> Void)? = nil,
                clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }) {
        self.group = group
        self.node = node
        self.clock = clock
        self.primaryHost = primaryHost
        self.persistBdSeq = persistBdSeq
        var initial = State(bdSeq: bdSeq % 256, hostOnline: primaryHost == nil)
        initial.nodeMetrics = nodeMetrics
        state = Mutex(initial)
    }

    /// The STATE topic of the Primary Host Application (Sparkplug 3.0: `spBv1.0/STATE/<host_id>`).
    public var stateTopic: String? { primaryHost.map { "\(SparkplugTopic.namespace)/STATE/\($0)" } }

    public var bdSeq: UInt64 { state.withLock { $0.bdSeq } }

    public func topic(_ type: SparkplugTopic.MessageType, device: String? = nil) -> String {
        SparkplugTopic(group: group, type: type, node: node, device: device).description
    }

    /// The NDEATH for the current bdSeq: the Last Will to connect with.
    public var will: WireMessage {
        state.withLock { deathMessage(bdSeq: $0.bdSeq) }
    }

    public var subscriptions: [String] { [topic(.nodeCommand)] + (stateTopic.map { [$0] } ?? []) }

    public var mayPublish: Bool { state.withLock { $0.online && $0.hostOnline } }

    // MARK: - Reports

    /// Remembers the latest values (births carry them) and returns the outbox form of the report:
    /// an NDATA or DDATA payload without seq.
    public func report(_ report: TelemetryReport) -> WireMessage {
        state.withLock { state in
            if let device = report.device { state.deviceMetrics[device] = report.metrics } else { state.nodeMetrics = Self.merged(state.nodeMetrics, report.metrics) }
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
            guard state.online, state.hostOnline else { return [] }
            state.born.insert(serial)
            return [deviceBirth(serial, &state)]
        }
    }

    /// A board left: its DDEATH now when connected and born (publish it as `deviceAttached` says).
    public func deviceDetached(_ serial: String) -> [WireMessage] {
        state.withLock { state in
            state.attached.removeAll { $0 == serial }
            guard state.online, state.hostOnline, state.born.remove(serial) != nil else { return [] }
            return [stamped(topic(.deviceDeath, device: serial), SparkplugPayload(metrics: [], timestampMilliseconds: clock()), &state)]
        }
    }

    // MARK: - PublishSession

    public func connected() -> [WireMessage] {
        state.withLock { state in
            state.online = true
            // The Primary Host's STATE comes again (retained) after the subscription: wait for it.
            if primaryHost != nil { state.hostOnline = false }
            guard state.hostOnline else { return [] }
            return births(&state)
        }
    }

    public func disconnected() -> WireMessage? {
        let (bdSeq, will) = state.withLock { state in
            state.online = false
            state.born = []
            state.bdSeq = (state.bdSeq + 1) % 256
            return (state.bdSeq, deathMessage(bdSeq: state.bdSeq))
        }
        // On disk before the next CONNECT (this runs on the MQTT thread, which reconnects after it).
        persistBdSeq?(bdSeq)
        return will
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
                aliased(&payload, device: topic.device, state)
                return PreparedMessage(message: stamped(message.topic, payload, &state))
            }
            // Data of a board that is not born on this connection (it left during the outage).
            let birth = deviceBirth(device, &state, historical: true)
            aliased(&payload, device: device, state)
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
        if topic == stateTopic { return hostState(payload) }
        guard SparkplugTopic(parsing: topic) == SparkplugTopic(group: group, type: .nodeCommand, node: node),
              let command = try? SparkplugPayload(serializedBytes: payload) else { return [] }
        return state.withLock { state in
            let rebirthAlias = state.aliases[Self.aliasKey(nil, Self.rebirthMetric)]
            let rebirth = command.metrics.first { $0.name == Self.rebirthMetric || (!$0.hasName && $0.hasAlias && $0.alias == rebirthAlias) }
            guard rebirth?.telemetryValue == .bool(true), state.online, state.hostOnline else { return [] }
            return births(&state)
        }
    }

    /// The Primary Host's STATE (`{"online": true|false, "timestamp": ms}`): births when it comes
    /// online; NDEATH when it goes offline (an offline older than the last online is ignored).
    private func hostState(_ payload: [UInt8]) -> [WireMessage] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
              let online = object["online"] as? Bool else { return [] }
        let timestamp = (object["timestamp"] as? NSNumber)?.uint64Value ?? 0
        return state.withLock { state in
            guard state.online, online != state.hostOnline else { return [] }
            if online {
                state.hostOnline = true
                state.hostTimestamp = timestamp
                return births(&state)
            }
            guard timestamp >= state.hostTimestamp else { return [] }
            state.hostOnline = false
            state.born = []
            return [deathMessage(bdSeq: state.bdSeq)]
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
        declareAliases(&payload, device: nil, &state)
        var messages = [WireMessage(topic: topic(.nodeBirth), payload: Array((try? payload.serializedData()) ?? Data()), qos: 0)]
        for device in state.attached {
            state.born.insert(device)
            messages.append(deviceBirth(device, &state))
        }
        return messages
    }

    private func deviceBirth(_ device: String, _ state: inout State, historical: Bool = false) -> WireMessage {
        var payload = SparkplugPayload(metrics: state.deviceMetrics[device] ?? [], timestampMilliseconds: clock())
        if historical { for index in payload.metrics.indices { payload.metrics[index].isHistorical = true } }
        declareAliases(&payload, device: device, &state)
        return stamped(topic(.deviceBirth, device: device), payload, &state)
    }

    private static func aliasKey(_ device: String?, _ name: String) -> String { "\(device ?? "")/\(name)" }

    /// Births: each metric named and aliased (an alias once given stays the metric's).
    private func declareAliases(_ payload: inout SparkplugPayload, device: String?, _ state: inout State) {
        for index in payload.metrics.indices {
            let key = Self.aliasKey(device, payload.metrics[index].name)
            let alias = state.aliases[key] ?? UInt64(state.aliases.count)
            state.aliases[key] = alias
            payload.metrics[index].alias = alias
        }
    }

    /// Data: each metric declared in a birth by its alias only, without its name.
    private func aliased(_ payload: inout SparkplugPayload, device: String?, _ state: State) {
        for index in payload.metrics.indices {
            guard let alias = state.aliases[Self.aliasKey(device, payload.metrics[index].name)] else { continue }
            payload.metrics[index].alias = alias
            payload.metrics[index].clearName()
        }
    }

    /// The node's metrics with `latest`'s values, keeping every metric declared (NBIRTH declares them all).
    private static func merged(_ declared: [TelemetryMetric], _ latest: [TelemetryMetric]) -> [TelemetryMetric] {
        let names = Set(declared.map(\.name))
        let values = Dictionary(latest.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        return declared.map { values[$0.name] ?? $0 } + latest.filter { !names.contains($0.name) }
    }

    /// Sets the next seq (after NBIRTH's 0: 1…255, then 0 again) and encodes.
    private func stamped(_ topic: String, _ payload: SparkplugPayload, _ state: inout State) -> WireMessage {
        var payload = payload
        state.seq = (state.seq + 1) % 256
        payload.seq = state.seq
        return WireMessage(topic: topic, payload: Array((try? payload.serializedData()) ?? Data()), qos: 0)
    }

    private func deathMessage(bdSeq: UInt64) -> WireMessage {
        let payload = SparkplugPayload(metrics: [TelemetryMetric(Self.bdSeqMetric, .unsigned(bdSeq))], timestampMilliseconds: clock())
        return WireMessage(topic: topic(.nodeDeath), payload: Array((try? payload.serializedData()) ?? Data()))
    }
}
