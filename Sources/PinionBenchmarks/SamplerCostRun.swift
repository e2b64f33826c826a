import Glibc
import PinionBoards
import PinionEmulator
import PinionI2C
import PinionSensors

/// The CPU a sampler costs: four power monitors on one emulated bus read at `hertz` on the real
/// clock for `seconds`, the process's CPU time (user + system, getrusage) over the wall time.
///
/// The emulated chips run in this process, so their work (which on a gateway the kernel's I2C
/// driver and the bus itself do) is counted too: the figure is an upper bound for the sampler.
public struct SamplerCostRun: Sendable {
    public let sensors: Int
    public let hertz: Double
    public let wallSeconds: Double
    public let cpuSeconds: Double
    public let samples: Int
    /// CPU time over wall time: 0.02 is 2 % of one core.
    public var coreFraction: Double { cpuSeconds / wallSeconds }

    public init(hertz: Double = 100, seconds: Double = 10) throws {
        let clock = MonotonicSamplerClock()
        let bus = EmulatedI2CBus(name: "i2c-1")
        var sensors: [any Sensor] = []
        for (index, type) in [SensorType.ina226, .ina228, .ina226, .ina228].enumerated() {
            let model = EmulatedPowerModel(.init(idleWatts: 4, activeWatts: 15, noiseWatts: 0.3), seed: UInt64(index + 1))
            model.apply(EmulatedPowerModel.randomLoad(seed: UInt64(index + 1), duration: seconds + 5))
            let rail = EmulatedRail(model: model, shuntOhms: 0.01, now: { clock.now() })
            let address = I2CAddress(rawValue: 0x40 + UInt8(index))!
            bus.attach(try EmulatedChips.railMonitor(for: type, measuring: rail), at: address)
            sensors.append(try SensorFactory.makeSensor(for: SensorSpec(type: type, address: address, shuntOhms: 0.01, maxCurrentAmperes: 4),
                                                        bus: bus))
        }
        let meter = EnergyMeter()
        let sampler = BusSampler(busName: bus.name, sensors: sensors, plan: SamplingPlan(powerHertz: hertz), clock: clock, sink: meter)
        let cpuBefore = processCPUSeconds()
        let wallBefore = clock.now()
        sampler.start()
        clock.sleep(until: wallBefore + seconds)
        sampler.stop()
        wallSeconds = clock.now() - wallBefore
        cpuSeconds = processCPUSeconds() - cpuBefore
        samples = sampler.sampleCount
        self.sensors = sensors.count
        self.hertz = hertz
    }
}

/// This process's CPU time (user + system, getrusage), seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
