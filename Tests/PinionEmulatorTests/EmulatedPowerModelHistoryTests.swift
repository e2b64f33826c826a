@testable import PinionEmulator
import Testing

/// A simulated board busy for days changes utilisation millions of times; the model keeps an
/// few minutes (here: 10 s) of them and stays exact there.
@Suite("Emulated power model history")
struct EmulatedPowerModelHistoryTests {
    @Test func oldStepsGoAndRecentEnergyStaysExact() {
        let parameters = EmulatedPowerModel.Parameters(idleWatts: 2, activeWatts: 9, noiseWatts: 0.3)
        let bounded = EmulatedPowerModel(parameters, seed: 7, historySeconds: 10)
        let everything = EmulatedPowerModel(parameters, seed: 7, historySeconds: .infinity)
        // 100 s of tasks: busy 0.6 ms, idle 0.4 ms, 200,000 changes.
        for task in 0..<100_000 {
            let start = Double(task) / 1000
            for model in [bounded, everything] {
                model.setUtilisation(1, at: start)
                model.setUtilisation(0, at: start + 0.0006)
            }
        }
        #expect(bounded.retainedSteps < 2 * 10 * 2000 + 1024)
        #expect(everything.retainedSteps == 200_000)   // the first change replaces the initial step at time 0
        for (from, to) in [(90.0, 100.0), (95.5, 99.9), (99.0, 100.5)] {
            #expect(bounded.energy(from: from, to: to) == everything.energy(from: from, to: to))
        }
        #expect(bounded.energy(upTo: 100) == everything.energy(upTo: 100))
        #expect(bounded.power(at: 99.9993) == everything.power(at: 99.9993))
    }
}
