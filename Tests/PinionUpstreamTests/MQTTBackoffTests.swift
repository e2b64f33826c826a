import PinionUpstream
import Testing

/// The schedule of reconnection delays: doubling from 0.5 s, never above 30 s, ±20 % jitter, and
/// back to the start after a connection.
struct MQTTBackoffTests {
    @Test func theNominalScheduleDoublesUpToTheCap() {
        var backoff = MQTTBackoff()
        var nominal: [Double] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10 {
            nominal.append(backoff.nominalDelay)
            _ = backoff.next(using: &generator)
        }
        #expect(nominal == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30])
    }

    @Test func everyDelayIsWithinTwentyPercentAndNeverAboveTheCap() {
        var backoff = MQTTBackoff()
        var generator = SystemRandomNumberGenerator()
        var seen: [Double] = []
        for _ in 0..<2000 {
            let nominal = backoff.nominalDelay
            let delay = backoff.next(using: &generator)
            #expect(delay >= nominal * 0.8 - 1e-9 && delay <= min(30, nominal * 1.2) + 1e-9, "\(delay) for \(nominal)")
            seen.append(delay)
            if backoff.failures > 12 { backoff.reset() }
        }
        // Jitter spreads the delays: not all the same at the cap.
        #expect(Set(seen.filter { $0 >= 24 }).count > 10)
    }

    @Test func aConnectionStartsTheScheduleAgain() {
        var backoff = MQTTBackoff()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<7 { _ = backoff.next(using: &generator) }
        #expect(backoff.nominalDelay == 30)
        backoff.reset()
        #expect(backoff.failures == 0 && backoff.nominalDelay == 0.5)
        let delay = backoff.next(using: &generator)
        #expect(delay >= 0.4 && delay <= 0.6)
    }

    @Test func thousandsOfFailuresStayAtTheCap() {
        var backoff = MQTTBackoff()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 { _ = backoff.next(using: &generator) }
        #expect(backoff.nominalDelay == 30)
    }
}
