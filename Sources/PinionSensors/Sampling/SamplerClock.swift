import Glibc
import Synchronization

/// The time a sampler reads and sleeps by, in seconds. Samplers sleep on their own thread, so
/// `sleep(until:)` blocks.
public protocol SamplerClock: Sendable {
    /// Seconds since the clock's origin.
    func now() -> Double
    /// Blocks until `time` (returns at once if it has passed).
    func sleep(until time: Double)
}

/// The machine's monotonic clock (CLOCK_MONOTONIC), seconds since it was created; sleeps are
/// absolute (`clock_nanosleep` TIMER_ABSTIME), so a schedule does not drift.
public struct MonotonicSamplerClock: SamplerClock {
    private let origin: Double

    public init() { origin = Self.monotonic() }

    public func now() -> Double { Self.monotonic() - origin }

    public func sleep(until time: Double) {
        let target = origin + time
        var spec = timespec(tv_sec: Int(target.rounded(.down)), tv_nsec: Int((target - target.rounded(.down)) * 1e9))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }

    private static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// Emulated time: `sleep(until:)` moves the clock forward at once. Sixty seconds of sampling at
/// 100 Hz against emulated chips that read the same clock run in a moment, deterministically.
public final class ManualSamplerClock: SamplerClock {
    private let time = Mutex(0.0)

    public init(start: Double = 0) { time.withLock { $0 = start } }

    public func now() -> Double { time.withLock { $0 } }

    public func sleep(until target: Double) { time.withLock { $0 = max($0, target) } }

    /// Moves the clock forward by `seconds` (a read that takes time, say).
    public func advance(by seconds: Double) { time.withLock { $0 += seconds } }
}
