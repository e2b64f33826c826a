import PinionBoards
import PinionEmulator
import PinionSensors

/// A rail monitor's energy against the emulated board's exact energy over exactly the time the
/// monitor measured: from its first sample to its last, less the gaps it did not join (a sensor
/// that was down). Both are in the same clock's seconds, so the error left is the measurement's
/// own: how the chip converts and how the samples are integrated, not a difference of windows.
struct SampledEnergyCheck {
    let board: String
    let rail: EnergyMeter.RailTotals
    let measured: Double
    let truth: Double

    /// nil when the rail has fewer than two samples (nothing was measured).
    init?(board: String, rail: EnergyMeter.RailTotals, model: EmulatedPowerModel) {
        guard let first = rail.firstTime, let last = rail.lastTime, last > first else { return nil }
        self.board = board
        self.rail = rail
        measured = rail.joules
        truth = model.energy(from: first, to: last) - rail.gaps.reduce(0) { $0 + model.energy(from: $1.start, to: $1.end) }
    }

    /// Signed error of the measurement against the truth, percent.
    var errorPercent: Double { (measured - truth) / truth * 100 }

    /// How this rail's energy was measured, in words: an accumulator read at each sample, or
    /// power readings joined by the trapezoid rule.
    func method(powerHertz: Double) -> String {
        let chip = rail.source.type.displayName
        let rate = powerHertz == powerHertz.rounded() ? "\(Int(powerHertz)) Hz" : "\(powerHertz) Hz"
        return rail.source.type.driver.accumulatesEnergy
            ? "\(chip) at \(rail.source.address), its energy accumulator read at \(rate)"
            : "\(chip) at \(rail.source.address), trapezoid over power read at \(rate)"
    }
}
