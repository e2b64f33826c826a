import PinionScheduler
import PinionUpstream

/// What `GET /v1/status` answers: the scheduler's status (its fields at the top level, as before)
/// and, with `[upstream]`, `upstream`: the link to the MQTT broker (state, last error, attempts).
public struct ControllerStatus: Sendable, Hashable, Codable {
    public var scheduler: SchedulerStatus
    public var upstream: MQTTLinkStatus?

    private enum CodingKeys: String, CodingKey {
        case upstream
    }

    public init(scheduler: SchedulerStatus, upstream: MQTTLinkStatus?) {
        self.scheduler = scheduler
        self.upstream = upstream
    }

    public init(from decoder: any Decoder) throws {
        scheduler = try SchedulerStatus(from: decoder)
        upstream = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(MQTTLinkStatus.self, forKey: .upstream)
    }

    public func encode(to encoder: any Encoder) throws {
        try scheduler.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(upstream, forKey: .upstream)
    }
}
