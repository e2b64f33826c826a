/// Where a board connection's request deadlines read the time: `ContinuousClock` in production; a
/// test may pass a clock it moves by hand, to see a timeout fire without waiting for it.
public protocol DeadlineClock: Sendable {
    var now: ContinuousClock.Instant { get }
}

extension ContinuousClock: DeadlineClock {}
