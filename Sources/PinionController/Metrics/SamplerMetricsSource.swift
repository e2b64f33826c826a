import PinionSensors

/// Each bus sampler's counts at a scrape: reads that succeeded and failed, sensors, degraded
/// sensors. The samplers are asked for at each scrape (a reload replaces them).
public struct SamplerMetricsSource: MetricsSource {
    public let samplers: @Sendable () -> [BusSampler]

    public init(samplers: @escaping @Sendable () -> [BusSampler]) { self.samplers = samplers }

    public func samples() async -> [MetricSample] {
        samplers().flatMap { sampler in
            [
                MetricSample(.samplerSamples, [sampler.busName], Double(sampler.sampleCount)),
                MetricSample(.samplerReadErrors, [sampler.busName], Double(sampler.readErrorCount)),
                MetricSample(.samplerSensors, [sampler.busName], Double(sampler.sensorCount)),
                MetricSample(.samplerDegraded, [sampler.busName], Double(sampler.degraded.count)),
            ]
        }
    }
}
