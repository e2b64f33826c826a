import CoreMetrics
import PinionLedger
import PinionScheduler
import PinionSensors
import Prometheus

/// The controller's metrics: one Prometheus registry that the scheduler's counters and
/// histograms go to (through `factory`), and the sources read into it at each scrape.
/// `exposition()` is what `GET /metrics` answers.
///
/// `pinion run` uses `ControllerMetrics.process`, whose factory is also swift-metrics' global
/// backend; tests make their own instance and pass its factory explicitly, so they never touch
/// the global bootstrap. Scrapes are serialized.
public actor ControllerMetrics {
    public nonisolated let registry: PrometheusCollectorRegistry
    public nonisolated let factory: PrometheusCatalogueFactory
    private var sources: [any MetricsSource] = []
    private var series: [String: Series] = [:]
    private var lastScrape: Task<[UInt8], Never>?

    /// The content type of `exposition()`: Prometheus' text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private enum Series {
        case gauge(Prometheus.Gauge)
        case counter(Prometheus.Counter, value: Double)
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        factory = PrometheusCatalogueFactory(registry: registry)
    }

    /// The process's registry, bootstrapped as swift-metrics' backend on first use (once per
    /// process, as swift-metrics requires).
    public static let process: ControllerMetrics = {
        let metrics = ControllerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }()

    /// Reads `source` at every scrape from now on.
    public func add(_ source: any MetricsSource) {
        sources.append(source)
    }

    /// Reads the controller's parts at every scrape: the scheduler, the boards, energy and sampling
    /// (`samplers`: those running at the scrape).
    public func watch(scheduler: Scheduler, linker: BoardLinker, meter: EnergyMeter, samplers: @escaping @Sendable () -> [BusSampler]) {
        sources += [SchedulerMetricsSource(scheduler: scheduler), BoardMetricsSource(linker: linker),
                    EnergyMetricsSource(meter: meter), SamplerMetricsSource(samplers: samplers)]
    }

    /// Reads the signed ledger and the receipts waiting for it at every scrape.
    public func watch(ledger: GatewayLedger, receipts: ReceiptWriter) {
        sources.append(LedgerMetricsSource(ledger: ledger, receipts: receipts))
    }

    /// Reads the upstream link (connection, outbox and publisher) at every scrape.
    public func watch(upstream: ControllerUpstream) {
        sources.append(UpstreamMetricsSource(outbox: upstream.outbox,
                                             publishers: upstream.telemetryPublisher === upstream.publisher ? [upstream.publisher] : [upstream.publisher, upstream.telemetryPublisher],
                                             client: upstream.client))
    }

    /// The text exposition format (version 0.0.4) of every metric, sources read now.
    public func exposition() async -> [UInt8] {
        let previous = lastScrape
        let scrape = Task {
            _ = await previous?.value
            return await self.scrape()
        }
        lastScrape = scrape
        return await scrape.value
    }

    private func scrape() async -> [UInt8] {
        var seen = Set<String>()
        for source in sources {
            for sample in await source.samples() {
                seen.insert(record(sample))
            }
        }
        for (key, stale) in series where !seen.contains(key) {
            switch stale {
            case .gauge(let gauge): registry.unregisterGauge(gauge)
            case .counter(let counter, _): registry.unregisterCounter(counter)
            }
            series[key] = nil
        }
        return registry.emitToBuffer()
    }

    /// Sets the sample's series; returns its key.
    private func record(_ sample: MetricSample) -> String {
        let metric = sample.metric
        let labels = Array(zip(metric.labels, sample.labels))
        let key = ([metric.name] + sample.labels).joined(separator: "\u{1F}")
        switch (metric.kind, series[key]) {
        case (.gauge, .gauge(let gauge)):
            gauge.set(to: sample.value)
        case (.gauge, _):
            let gauge = registry.makeGauge(descriptor: metric.descriptor, labels: labels)
            gauge.set(to: sample.value)
            series[key] = .gauge(gauge)
        case (.counter, .counter(let counter, let value)):
            guard value != sample.value else { break }
            // Scrapes are serialized and nothing else emits: the reset is never seen.
            counter.reset()
            Self.increment(counter, to: sample.value)
            series[key] = .counter(counter, value: sample.value)
        case (.counter, _):
            let counter = registry.makeCounter(descriptor: metric.descriptor, labels: labels)
            Self.increment(counter, to: sample.value)
            series[key] = .counter(counter, value: sample.value)
        case (.histogram, _):
            preconditionFailure("\(metric.name): histograms are recorded as they happen, not read at a scrape")
        }
        return key
    }

    private static func increment(_ counter: Prometheus.Counter, to value: Double) {
        guard value > 0 else { return }
        if value == value.rounded(), value < 9e15 {
            counter.increment(by: Int64(value))
        } else {
            counter.increment(by: value)
        }
    }
}
