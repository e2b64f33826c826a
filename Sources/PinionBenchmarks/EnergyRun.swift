import PinionBoards
import PinionEmulator
import PinionI2C
import PinionSensors

/// One emulated energy measurement: a board's power model behind a chip on an emulated bus, the real
/// driver and sampler reading it on emulated time, and the meter's energy against the model's.
public struct EnergyRun: Sendable {
    public let measured: Double
    public let truth: Double
    public let gaps: [EnergyGap]
    public var relativeError: Double { abs(measured - truth) / truth }

    public init(chip: SensorType, seed: UInt64, hertz: Double, seconds: Double, meanHoldSeconds: Double = 1.5) throws {
        let clock = ManualSamplerClock()
        let model = EmulatedPowerModel(.init(idleWatts: 4, activeWatts: 15, noiseWatts: 0.3, busVolts: 12), seed: seed)
        model.apply(EmulatedPowerModel.randomLoad(seed: seed, duration: seconds, meanHoldSeconds: meanHoldSeconds))
        let rail = EmulatedRail(model: model, shuntOhms: 0.01, now: { clock.now() })
        let bus = EmulatedI2CBus(name: "i2c-1")
        bus.attach(try EmulatedChips.railMonitor(for: chip, measuring: rail), at: 0x40)
        let sensor = try SensorFactory.makeSensor(for: SensorSpec(type: chip, address: 0x40, shuntOhms: 0.01, maxCurrentAmperes: 4),
                                                  bus: bus)
        let meter = EnergyMeter(maximumGapSeconds: 2.5 / hertz)
        let sampler = BusSampler(busName: bus.name, sensors: [sensor], plan: SamplingPlan(powerHertz: hertz), clock: clock, sink: meter)
        while clock.now() <= seconds { sampler.step() }
        let totals = try meter.rails.first.orThrow("the meter saw no rail")
        measured = totals.joules
        truth = model.energy(from: try totals.firstTime.orThrow("no first sample"), to: try totals.lastTime.orThrow("no last sample"))
        gaps = totals.gaps
    }
}

/// A benchmark's setup went wrong.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Optional {
    func orThrow(_ why: String) throws -> Wrapped {
        guard let self else { throw BenchmarkError(why) }
        return self
    }
}
