import PinionSensors

/// Each bus sampler's counts at a scrape: reads that succeeded and failed, sensors, degraded
/// sensors.
public struct SamplerMetricsSource: MetricsSource {
    public let samplers: [BusSampler]

    public init(samplers: [BusSampler]) { self.samplers = samplers }

    public func samples() async -> [MetricSample] {
        samplers.flatMap { sampler in
            [
                MetricSample(.samplerSamples, [sampler.busName], Double(sampler.sampleCount)),
                MetricSample(.samplerReadErrors, [sampler.busName], Double(sampler.readErrorCount)),
                MetricSample(.samplerSensors, [sampler.busName], Double(sampler.sensorCount)),
                MetricSample(.samplerDegraded, [sampler.busName], Double(sampler.degraded.count)),
            ]
        }
    }
}
