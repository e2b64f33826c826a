/// What a sampler reports, in the order it happened, on the sampler's thread.
public enum SamplerEvent: Sendable {
    /// A sensor was read: its readings (one per INA3221 channel) at `time`.
    case sample(SensorSample)
    /// A sensor failed `failures` times in a row and is now degraded: it is retried with backoff
    /// and its rail's energy has a gap from its last good sample until it recovers.
    case degraded(SensorSource, error: SensorError, at: Double, failures: Int)
    /// A degraded sensor answered again (after being prepared anew: a chip that lost power has
    /// lost its calibration too).
    case recovered(SensorSource, at: Double, downSeconds: Double)
}

/// One read of one sensor.
public struct SensorSample: Sendable {
    public var source: SensorSource
    /// Seconds on the sampler's clock when the read began.
    public var time: Double
    public var readings: [SensorReading]

    public init(source: SensorSource, time: Double, readings: [SensorReading]) {
        self.source = source
        self.time = time
        self.readings = readings
    }
}

/// Where a sampler delivers its events. Called on the sampler's thread: keep it quick and never
/// block on the concurrency pool (hand events on with a lock or an unbounded stream).
public protocol SamplerSink: Sendable {
    func receive(_ event: SamplerEvent)
}
