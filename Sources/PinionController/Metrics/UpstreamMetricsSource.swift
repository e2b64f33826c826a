import PinionUpstream

/// The upstream link at a scrape: messages waiting in the outbox and messages the broker has
/// acknowledged. New upstream figures belong here, next to these.
public struct UpstreamMetricsSource: MetricsSource {
    public let outbox: Outbox
    public let publisher: UpstreamPublisher

    public init(outbox: Outbox, publisher: UpstreamPublisher) {
        self.outbox = outbox
        self.publisher = publisher
    }

    public func samples() async -> [MetricSample] {
        var samples = [MetricSample(.upstreamPublished, [], Double(await publisher.published))]
        // An outbox that cannot be read now has no depth to show; the gauge is absent from this scrape.
        if let depth = try? await outbox.count() { samples.append(MetricSample(.outboxMessages, [], Double(depth))) }
        return samples
    }
}
