import PinionUpstream

/// A telemetry payload format once started: how reports are encoded, and how a board's arrival and
/// departure are sent.
public protocol TelemetryPayload: Sendable {
    /// A report (the gateway's, or one board's) as the message queued in the outbox.
    func report(_ report: TelemetryReport) -> WireMessage
    /// A board arrived (its `metrics`) or left (`metrics` nil).
    func boardChange(_ serial: String, metrics: [TelemetryMetric]?, timestampMilliseconds: UInt64) -> TelemetryBoardChange
}

/// How the messages of a board's arrival or departure go out.
public enum TelemetryBoardChange: Sendable {
    /// At once on the telemetry connection, not kept if it is down; produced as they are sent
    /// (Sparkplug DBIRTH/DDEATH depend on the session's state then).
    case publishNow(@Sendable () -> [WireMessage])
    /// Through the outbox, like reports.
    case enqueue([WireMessage])
}

/// What a payload format is given to start: the settings, the gateway and its metrics, the outbox.
public struct TelemetryFormatStart: Sendable {
    public let settings: UpstreamSettings
    /// The gateway's key (hex), as topics name it.
    public let gateway: String
    /// The Sparkplug edge node id.
    public let node: String
    /// Every metric of the gateway's reports, with its current value.
    public let nodeMetrics: [TelemetryMetric]
    public let outbox: Outbox
    public let log: @Sendable (String) -> Void
}

/// A payload format as `[upstream] telemetry` names it: how it starts (its session, which holds
/// the Will, and its payload; nil for none), whether it has an MQTT connection of its own, and how
/// `pinion run` describes it. Registered in `TelemetryPayloadFormats`.
public struct TelemetryPayloadFormat: Sendable {
    /// Telemetry on a connection of its own (clean session, the session's Will, QoS 0): the topics
    /// under `lane` are its part of the outbox; `label` names it in log lines.
    public struct OwnConnection: Sendable {
        public let lane: String
        public let label: String
    }

    public let name: String
    /// nil: telemetry shares the durable connection, whose Will is the session's.
    public let ownConnection: OwnConnection?
    public let start: @Sendable (TelemetryFormatStart) async throws -> (session: any PublishSession, payload: (any TelemetryPayload)?)
    /// One line for `pinion run`'s start-up log.
    public let describe: @Sendable (_ settings: UpstreamSettings, _ node: String) -> String
}
