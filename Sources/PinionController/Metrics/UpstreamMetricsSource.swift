import PinionUpstream

/// The upstream link at a scrape: messages waiting in the outbox and messages the broker has
/// acknowledged. New upstream figures belong here, next to these.
public struct UpstreamMetricsSource: MetricsSource {
    public let outbox: Outbox
    /// The outbox's publishers (Sparkplug telemetry has a connection of its own).
    public let publishers: [UpstreamPublisher]

    public init(outbox: Outbox, publishers: [UpstreamPublisher]) {
        self.outbox = outbox
        self.publishers = publishers
    }

    public func samples() async -> [MetricSample] {
        var published = 0
        for publisher in publishers { published += await publisher.published }
        var samples = [MetricSample(.upstreamPublished, [], Double(published))]
        // An outbox that cannot be read now has no depth to show; the gauge is absent from this scrape.
        if let depth = try? await outbox.count() { samples.append(MetricSample(.outboxMessages, [], Double(depth))) }
        return samples
    }
}
