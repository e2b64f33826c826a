import PinionBoards
import PinionI2C
import PinionSensors

/// Builds one `BusSampler` per I2C bus from the configured sensors.
public enum SensorSampling {
    /// The samplers, and one line for each sensor that could not be set up (its bus would not
    /// open, or its entry cannot be driven): those are left out, the others run.
    public static func samplers(for configuration: GatewayConfiguration, buses: any I2CBusProvider, clock: any SamplerClock,
                                sink: any SamplerSink) -> (samplers: [BusSampler], problems: [String]) {
        var problems: [String] = []
        var samplers: [BusSampler] = []
        let byBus = Dictionary(grouping: configuration.sensors) { $0.sensor.gatewayBusNumber ?? -1 }
        for number in byBus.keys.sorted() {
            let entries = byBus[number]!
            let bus: any I2CBus
            do {
                bus = try buses.openBus(number, taps: [])
            } catch {
                problems.append("i2c-\(number): \(error) (its \(entries.count) sensor(s) are not sampled)")
                continue
            }
            var sensors: [any Sensor] = []
            for entry in entries {
                do {
                    sensors.append(try SensorFactory.makeSensor(for: entry.sensor, bus: bus))
                } catch {
                    problems.append("\(error)")
                }
            }
            guard !sensors.isEmpty else { continue }
            samplers.append(BusSampler(busName: bus.name, sensors: sensors, plan: configuration.sampling, clock: clock, sink: sink))
        }
        return (samplers, problems)
    }

    /// The board each rail powers, by the source a reading carries.
    public static func boardsByRail(_ configuration: GatewayConfiguration) -> @Sendable (SensorSource) -> String? {
        let boards = configuration.sensors.compactMap { entry -> (String, I2CAddress, Int?, String)? in
            guard let board = entry.board else { return nil }
            return (entry.sensor.bus, entry.sensor.address, entry.sensor.channel, board)
        }
        return { source in
            boards.first { $0.0 == source.bus && $0.1 == source.address && ($0.2 == nil || $0.2 == source.channel) }?.3
        }
    }
}
