import PinionUpstream

/// The upstream link at a scrape: the MQTT connection (connected, attempts, connections), messages
/// waiting in the outbox and messages the broker has acknowledged. New upstream figures belong
/// here, next to these.
public struct UpstreamMetricsSource: MetricsSource {
    public let outbox: Outbox
    public let publisher: UpstreamPublisher
    public let client: MQTTClient

    public init(outbox: Outbox, publisher: UpstreamPublisher, client: MQTTClient) {
        self.outbox = outbox
        self.publisher = publisher
        self.client = client
    }

    public func samples() async -> [MetricSample] {
        let link = client.linkStatus
        var samples = [
            MetricSample(.upstreamPublished, [], Double(await publisher.published)),
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
