/// How long to wait before the next connection attempt: `initial` seconds, doubling after each
/// failure up to `cap`, each delay moved by up to ±`jitter` (a fraction) at random so that a fleet
/// of gateways that lost the same broker does not come back at the same instant, and never more
/// than `cap`. A successful connection starts the schedule again (`reset`). A value; not thread-safe.
public struct MQTTBackoff: Sendable, Hashable {
    public let initial: Double
    public let cap: Double
    public let jitter: Double
    /// Failures since the last reset: the next delay is `initial * 2^failures` before jitter.
    public private(set) var failures = 0

    public init(initial: Double = 0.5, cap: Double = 30, jitter: Double = 0.2) {
        precondition(initial > 0 && cap >= initial && (0..<1).contains(jitter), "MQTTBackoff: initial > 0, cap >= initial, 0 <= jitter < 1")
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before jitter for the next attempt.
    public var nominalDelay: Double {
        // 2^failures overflows nothing: past about 64 doublings any initial is over any cap.
        min(cap, initial * Double(sign: .plus, exponent: min(failures, 64), significand: 1))
    }

    /// The delay (seconds) before the next attempt, counting one more failure.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Double {
        let nominal = nominalDelay
        failures += 1
        return min(cap, nominal * Double.random(in: (1 - jitter)...(1 + jitter), using: &generator))
    }

    /// `next(using:)` with the system's generator.
    public mutating func next() -> Double {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// A connection succeeded: the next failure waits `initial` again.
    public mutating func reset() {
        failures = 0
    }
}
