
/// How often each sensor of a bus is read, and how failures are retried.
public struct SamplingPlan: Sendable, Hashable {
    /// Power monitors, hertz (default 100: 1 Hz sampling gave up to 80 % energy error in
    /// published measurements; see docs/sensors.md for error against rate).
    public var powerHertz: Double
    /// Thermometers, hertz (default 1).
    public var temperatureHertz: Double
    /// Consecutive failures after which a sensor is reported degraded.
    public var degradedAfter: Int
    /// Longest wait between retries of a failing sensor, seconds.
    public var maximumBackoffSeconds: Double

    public init(powerHertz: Double = 100, temperatureHertz: Double = 1, degradedAfter: Int = 3,
                maximumBackoffSeconds: Double = 5) {
        self.powerHertz = powerHertz
        self.temperatureHertz = temperatureHertz
        self.degradedAfter = degradedAfter
        self.maximumBackoffSeconds = maximumBackoffSeconds
    }

    /// Seconds between reads of a sensor of `type`.
    public func period(for type: SensorType) -> Double {
        1 / (type.isPowerMonitor ? powerHertz : temperatureHertz)
    }

    /// Seconds before the next try after `failures` consecutive failures: one period, doubling,
    /// up to `maximumBackoffSeconds`.
    public func backoff(period: Double, failures: Int) -> Double {
        min(period * Double(1 << min(max(failures - 1, 0), 20)), max(maximumBackoffSeconds, period))
    }
}
