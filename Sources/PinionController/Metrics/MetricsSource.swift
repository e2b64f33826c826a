/// One value of one metric, read at a scrape.
public struct MetricSample: Sendable, Hashable {
    public var metric: PinionMetric
    /// The label values, in the order of `metric.labels`.
    public var labels: [String]
    public var value: Double

    public init(_ metric: PinionMetric, _ labels: [String] = [], _ value: Double) {
        precondition(labels.count == metric.labels.count, "\(metric.name) takes labels \(metric.labels), got \(labels.count) values")
        self.metric = metric
        self.labels = labels
        self.value = value
    }
}

/// A part of the controller whose state `GET /metrics` reads at each scrape: gauges, and
/// counters the part already totals itself. A series a source stops giving (a board that left)
/// disappears from the next scrape.
public protocol MetricsSource: Sendable {
    func samples() async -> [MetricSample]
}
