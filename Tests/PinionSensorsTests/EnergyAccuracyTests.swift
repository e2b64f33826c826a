import PinionBenchmarks
import PinionSensors
import Testing

/// Measured energy against the emulated boards' exact energy: a random load over 60 s of emulated
/// time, read through the real drivers from emulated chips that convert as the datasheets say.
@Suite("Energy accuracy against emulated ground truth")
struct EnergyAccuracyTests {
    @Test("INA226 sampled at 100 Hz, trapezoid: within 0.5 % of the truth", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func ina226At100Hz(seed: UInt64) throws {
        let run = try EnergyRun(chip: .ina226, seed: seed, hertz: 100, seconds: 60)
        #expect(run.relativeError < 0.005, "measured \(run.measured) J, truth \(run.truth) J")
        #expect(run.gaps.isEmpty)
        #expect(run.truth > 60 * 4, "the load is real: at least idle power for 60 s")
    }

    @Test("INA228 hardware accumulator: within 0.05 % whatever the sampling rate", arguments: [1, 100] as [Double])
    func ina228Accumulator(hertz: Double) throws {
        let run = try EnergyRun(chip: .ina228, seed: 7, hertz: hertz, seconds: 60)
        #expect(run.relativeError < 0.0005, "measured \(run.measured) J, truth \(run.truth) J")
    }

    @Test("1 Hz sampling of a changing load is far off: why the default is 100 Hz")
    func slowSamplingMissesLoadChanges() throws {
        let slow = try EnergyRun(chip: .ina226, seed: 3, hertz: 1, seconds: 60, meanHoldSeconds: 0.3)
        let fast = try EnergyRun(chip: .ina226, seed: 3, hertz: 100, seconds: 60, meanHoldSeconds: 0.3)
        #expect(slow.relativeError > 4 * fast.relativeError, "1 Hz \(slow.relativeError), 100 Hz \(fast.relativeError)")
    }
}
