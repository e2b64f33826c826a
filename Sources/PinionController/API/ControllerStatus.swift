import PinionScheduler
import PinionUpstream

/// What `GET /v1/status` answers: the scheduler's status (its fields at the top level, as before)
/// and, with `[upstream]`, `upstream`: the link to the MQTT broker (state, last error, attempts);
/// from `pinion run`, `sampling`: the sampling rates in force and the samplers' counts.
public struct ControllerStatus: Sendable, Hashable, Codable {
    public var scheduler: SchedulerStatus
    public var upstream: MQTTLinkStatus?
    public var sampling: SamplingStatus?

    private enum CodingKeys: String, CodingKey {
        case upstream, sampling
    }

    public init(scheduler: SchedulerStatus, upstream: MQTTLinkStatus?, sampling: SamplingStatus? = nil) {
        self.scheduler = scheduler
        self.upstream = upstream
        self.sampling = sampling
    }

    public init(from decoder: any Decoder) throws {
        scheduler = try SchedulerStatus(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        upstream = try container.decodeIfPresent(MQTTLinkStatus.self, forKey: .upstream)
        sampling = try container.decodeIfPresent(SamplingStatus.self, forKey: .sampling)
    }

    public func encode(to encoder: any Encoder) throws {
        try scheduler.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(upstream, forKey: .upstream)
        try container.encodeIfPresent(sampling, forKey: .sampling)
    }
}
