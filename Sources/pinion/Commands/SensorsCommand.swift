import ArgumentParser
import Foundation
import PinionBoards
import PinionController
import PinionI2C
import PinionSensors
import PinionSystem

/// `pinion sensors`: reads power monitors and thermometers once, or every interval with `--watch`.
struct SensorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "Read I2C power monitors and thermometers (INA219/226/228/3221, LM75, TMP102).",
        discussion: """
            Name each chip as TYPE@ADDRESS with optional settings, for example:
              pinion sensors 1 --chip ina226@0x40,shunt=0.01,max=8.192,label=gateway --chip lm75@0x48

            Power monitors need shunt (ohms); max (amperes) sets the calibration (default: the shunt's \
            full scale). Without --chip, the sensors of the gateway configuration are read (all buses, or \
            only BUS); with --simulate and no configuration file, the simulated gateway's. A chip bound to \
            a kernel driver (i2cdetect shows UU) is busy: unbind it first.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "I2C bus number (N in /dev/i2c-N); needed with --chip; without, limits the configured sensors to it.")
    var bus: Int?

    @Option(name: .customLong("chip"), help: ArgumentHelp("A chip: TYPE@ADDRESS[,shunt=OHMS][,max=AMPS][,channel=N][,label=TEXT].",
                                                          valueName: "spec"))
    var chips: [String] = []

    @Option(help: ArgumentHelp("Read again every this many seconds until Ctrl-C.", valueName: "seconds"))
    var watch: Double?

    func validate() throws {
        if !global.simulate && bus == nil && !chips.isEmpty { throw ValidationError("name the I2C bus the chips are on (pinion i2c buses lists them)") }
        for chip in chips { _ = try Self.parse(chip) }
        if let watch, watch <= 0 { throw ValidationError("--watch takes a positive number of seconds") }
    }

    /// The sensors to read, each with the bus it is on: the --chip specs, or the configured sensors.
    private func selection(_ hardware: Hardware) throws -> [(bus: Int, spec: SensorSpec)] {
        if !chips.isEmpty {
            let number = bus ?? hardware.i2c.list().buses.first?.number ?? 1
            return try chips.map { (number, try Self.parse($0)) }
        }
        let configuration = try global.gatewayConfiguration()
        let configured = configuration.sensors.compactMap { entry in
            entry.sensor.gatewayBusNumber.map { (bus: $0, spec: SensorSpec(entry.sensor)) }
        }.filter { bus == nil || $0.bus == bus }
        guard !configured.isEmpty else {
            let scope = bus.map { " on i2c-\($0)" } ?? ""
            guard let file = configuration.source else {
                throw CommandError("no sensors to read: no configuration file (\(GatewayConfiguration.defaultPath) does not exist); name chips with --chip TYPE@ADDRESS or write one with [[sensors]] entries (docs/configuration.md)")
            }
            throw CommandError("no sensors to read: \(file) has no [[sensors]] entries\(scope); name chips with --chip TYPE@ADDRESS or add entries (docs/configuration.md)")
        }
        return configured
    }

    func run() async throws {
        let hardware = try Hardware(global, needsUSB: false)
        defer { hardware.shutdown() }
        var buses: [Int: any I2CBus] = [:]
        let sensors = try selection(hardware).map { entry -> any Sensor in
            let i2c = try buses[entry.bus] ?? hardware.i2c.openBus(entry.bus, taps: [])
            buses[entry.bus] = i2c
            return try SensorFactory.makeSensor(for: entry.spec, bus: i2c)
        }
        // Driver calls block on I2C transfers: they run on a thread of their own.
        // A chip that cannot be brought up is reported once and left out of the readings.
        let (ready, prepared) = try await BlockingCall.run("sensors prepare") { () -> ([any Sensor], [String]) in
            var ready: [any Sensor] = [], problems: [String] = []
            for sensor in sensors {
                do { try sensor.prepare(); ready.append(sensor) } catch { problems.append("\(error)") }
            }
            return (ready, problems)
        }
        for problem in prepared { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
        let stop = watch == nil ? nil : StopSignal.install([SIGINT, SIGTERM])
        var failures = 0
        repeat {
            let (readings, problems) = try await BlockingCall.run("sensors read") { () -> ([SensorReading], [String]) in
                var readings: [SensorReading] = [], problems: [String] = []
                for sensor in ready {
                    do { readings += try sensor.read() } catch { problems.append("\(error)") }
                }
                return (readings, problems)
            }
            failures = problems.count + prepared.count
            report(readings)
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            guard let watch, let stop else { break }
            if await stop.waitOrTimeout(seconds: watch) { break }
        } while true
        if failures > 0 { throw ExitCode(1) }
    }

    private func report(_ readings: [SensorReading]) {
        if output.json {
            if watch != nil { for reading in readings { try? JSONOutput.printLine(reading) } } else { try? JSONOutput.print(readings) }
            return
        }
        let rows = readings.map { reading -> [String] in
            let s = reading.source
            func figure(_ value: Double?, _ unit: String, _ digits: Int) -> String {
                value.map { String(format: "%.\(digits)f \(unit)", $0) } ?? "-"
            }
            return [s.bus, s.address.description, s.type.rawValue + (s.channel.map { " ch\($0)" } ?? ""), s.label ?? "",
                    figure(reading.power?.busVolts, "V", 3), figure(reading.power?.amperes, "A", 4), figure(reading.power?.watts, "W", 3),
                    figure(reading.celsius, "°C", 2)]
        }
        var table = TextTable("BUS", "ADDR", "CHIP", "LABEL", "BUS V", "CURRENT", "POWER", "TEMP")
        table.rows = rows
        print(table.render())
    }

    /// `TYPE@ADDRESS[,key=value...]` → a sensor spec; errors name the spec and the bad part.
    static func parse(_ text: String) throws -> SensorSpec {
        let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let head = parts.first?.split(separator: "@").map(String.init) ?? []
        guard head.count == 2, let type = SensorType(rawValue: head[0].lowercased()) else {
            throw ValidationError("--chip '\(text)': expected TYPE@ADDRESS with TYPE one of \(SensorType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let address = I2CAddress(parsing: head[1]), I2CAddress.defaultScanRange.contains(address) else {
            throw ValidationError("--chip '\(text)': '\(head[1])' is not a 7-bit I2C address (0x08-0x77)")
        }
        var spec = SensorSpec(type: type, address: address)
        for setting in parts.dropFirst() {
            let pair = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw ValidationError("--chip '\(text)': '\(setting)' is not key=value") }
            switch pair[0] {
            case "shunt": spec.shuntOhms = try number(pair[1], setting, text)
            case "max": spec.maxCurrentAmperes = try number(pair[1], setting, text)
            case "channel": spec.channel = Int(try number(pair[1], setting, text))
            case "label": spec.label = pair[1]
            default: throw ValidationError("--chip '\(text)': unknown setting '\(pair[0])' (shunt, max, channel, label)")
            }
        }
        return spec
    }

    private static func number(_ value: String, _ setting: String, _ text: String) throws -> Double {
        guard let number = Double(value), number.isFinite, number > 0 else {
            throw ValidationError("--chip '\(text)': '\(setting)' needs a positive number")
        }
        return number
    }
}
