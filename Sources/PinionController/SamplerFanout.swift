import PinionSensors

/// Hands each sampler event to several sinks, in order: the daemon's energy meter, then its log of
/// sensor health.
public struct SamplerFanout: SamplerSink {
    public let sinks: [any SamplerSink]

    public init(sinks: [any SamplerSink]) {
        self.sinks = sinks
    }

    public func receive(_ event: SamplerEvent) {
        for sink in sinks { sink.receive(event) }
    }
}
