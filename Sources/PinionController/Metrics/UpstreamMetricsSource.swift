import PinionUpstream

/// The upstream link at a scrape: the MQTT connection (connected, attempts, connections), messages
/// waiting in the outbox and messages the broker has acknowledged. New upstream figures belong
/// here, next to these.
public struct UpstreamMetricsSource: MetricsSource {
    public let outbox: Outbox
    /// The outbox's publishers (Sparkplug telemetry has a connection of its own).
    public let publishers: [UpstreamPublisher]
    /// The durable connection (ledger entries and tasks), whose link the gauges show.
    public let client: MQTTClient

    public init(outbox: Outbox, publishers: [UpstreamPublisher], client: MQTTClient) {
        self.outbox = outbox
        self.publishers = publishers
        self.client = client
    }

    public func samples() async -> [MetricSample] {
        var published = 0
        for publisher in publishers { published += await publisher.published }
        let link = client.linkStatus
        var samples = [
            MetricSample(.upstreamPublished, [], Double(published)),
            MetricSample(.upstreamConnected, [], link.state == .connected ? 1 : 0),
            MetricSample(.upstreamConnectAttempts, [], Double(link.attempts)),
            MetricSample(.upstreamConnections, [], Double(link.connections)),
            MetricSample(.upstreamFailedAttempts, [], Double(link.failedAttempts)),
        ]
        // An outbox that cannot be read now has no depth to show; the gauge is absent from this scrape.
        if let depth = try? await outbox.count() { samples.append(MetricSample(.outboxMessages, [], Double(depth))) }
        return samples
    }
}
