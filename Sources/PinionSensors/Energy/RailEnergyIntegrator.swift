/// Turns one rail's samples into energy: the trapezoid rule between consecutive power samples,
/// or the difference of a hardware accumulator (INA228 ENERGY) where the chip has one.
///
/// Two samples further apart than `maximumGapSeconds` (a sensor that was down, a stalled
/// sampler) are not joined: the interval is reported as an `EnergyGap` and its energy is not
/// counted. An accumulator that goes backwards was reset (the chip lost power, or was
/// reconfigured); that interval is a gap too.
public struct RailEnergyIntegrator: Sendable {
    public let maximumGapSeconds: Double
    public private(set) var joules = 0.0
    /// Seconds covered by measured segments.
    public private(set) var coveredSeconds = 0.0
    public private(set) var gaps: [EnergyGap] = []
    private var last: (time: Double, watts: Double?, accumulator: Double?)?
    private var brokenBecause: String?

    public init(maximumGapSeconds: Double) {
        self.maximumGapSeconds = maximumGapSeconds
    }

    /// Time of the first sample and of the latest.
    public private(set) var firstTime: Double?
    public var lastTime: Double? { last?.time }

    /// Adds a sample: power in watts, and the chip's energy accumulator in joules if it has one.
    /// Returns the energy segment it closes, if any.
    public mutating func add(time: Double, watts: Double?, accumulatorJoules: Double? = nil) -> EnergySegment? {
        defer {
            last = (time, watts, accumulatorJoules)
            if firstTime == nil { firstTime = time }
        }
        guard let previous = last, time > previous.time else { return nil }
        let span = time - previous.time
        if let reason = brokenBecause {
            brokenBecause = nil
            gaps.append(EnergyGap(start: previous.time, end: time, reason: reason))
            return nil
        }
        if span > maximumGapSeconds {
            gaps.append(EnergyGap(start: previous.time, end: time, reason: "no sample for \(formatSeconds(span))"))
            return nil
        }
        let energy: Double
        if let now = accumulatorJoules, let before = previous.accumulator {
            guard now >= before else {
                gaps.append(EnergyGap(start: previous.time, end: time, reason: "energy accumulator reset"))
                return nil
            }
            energy = now - before
        } else if let now = watts, let before = previous.watts {
            energy = (now + before) / 2 * span
        } else {
            return nil
        }
        joules += energy
        coveredSeconds += span
        return EnergySegment(start: previous.time, end: time, joules: energy)
    }

    /// Records that the rail's sensor went down: the interval from the last sample until the
    /// next good one is a gap for `reason`, however short.
    public mutating func breakContinuity(_ reason: String) {
        if last != nil { brokenBecause = reason }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : "\(fixed(seconds, 2)) s"
}
