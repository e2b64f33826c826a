import Foundation
import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// Drivers against PinionEmulator's chip models: a known shunt and bus state in, and out what the
/// chip computes (its current and power registers) converted by the driver.
@Suite("Drivers against emulated chips")
struct EmulatedChipReadingTests {
    let bench = Bench()

    @Test func ina226ReadsWhatTheChipComputes() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.01, maxCurrentAmperes: 2, label: "board input")
        try ina.prepare()
        bench.chips.ina226.setShuntVoltage(volts: 0.0123)   // 4920 counts: 1.23 A through 10 mΩ
        bench.chips.ina226.setBusVoltage(volts: 12.05)
        let readings = try ina.read()
        #expect(readings.count == 1)
        let reading = try #require(readings.first)
        let power = try #require(reading.power)
        let model = bench.chips.ina226
        #expect(close(power.shuntVolts, 0.0123, 1e-15))
        #expect(close(power.busVolts, 12.05, 1e-12))
        #expect(power.amperes == Double(Int16(bitPattern: model.peek(0x04))) * ina.calibration.currentLSB)
        #expect(power.watts == Double(model.peek(0x03)) * 25 * ina.calibration.currentLSB)
        // The chip's integer arithmetic loses less than one LSB against V/R and V×I.
        #expect(close(power.amperes, 1.23, ina.calibration.currentLSB))
        #expect(close(power.watts, 1.23 * 12.05, 2 * ina.calibration.powerLSB))
        #expect(reading.source == SensorSource(type: .ina226, bus: "i2c-3", address: 0x41, label: "board input"))
        #expect(reading.registers["0x01"] == 4920)
        #expect(reading.registers["0x05"] == UInt64(ina.calibration.registerValue))
    }

    @Test func ina226NegativeCurrent() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.01, maxCurrentAmperes: 2)
        try ina.prepare()
        bench.chips.ina226.setShuntVoltage(volts: -0.005)
        bench.chips.ina226.setBusVoltage(volts: 5)
        let power = try ina.readPower()
        #expect(close(power.shuntVolts, -0.005, 1e-15))
        #expect(close(power.amperes, -0.5, ina.calibration.currentLSB))
        #expect(power.amperes < 0)
        #expect(power.watts > 0, "the chip's power register is a magnitude")
    }

    @Test func ina219ReadsWhatTheChipComputesAndItsFlags() throws {
        let ina = try INA219(bus: bench.bus, address: 0x40, shuntOhms: 0.1, maxCurrentAmperes: 2)
        try ina.prepare()
        bench.chips.ina219.setShuntVoltage(volts: 0.0815)
        bench.chips.ina219.setBusVoltage(volts: 5.0)
        let reading = try #require(try ina.read().first)
        let power = try #require(reading.power)
        #expect(reading.conversionReady == true)
        #expect(reading.overflow == false)
        #expect(power.amperes == Double(Int16(bitPattern: bench.chips.ina219.peek(0x04))) * ina.calibration.currentLSB)
        #expect(close(power.amperes, 0.815, ina.calibration.currentLSB))
        #expect(close(power.busVolts, 5.0))
        #expect(close(power.watts, 0.815 * 5.0, 2 * ina.calibration.powerLSB))
        #expect(try ina.read().first?.conversionReady == false, "reading power cleared CNVR")
    }

    @Test func ina228ReadsRawRegistersAndAccumulators() throws {
        let ina = try INA228(bus: bench.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2, label: "board input")
        try ina.prepare()
        let model = bench.chips.ina228
        let calibration = ina.calibration
        model.setShuntVoltage(raw: -12_345)
        model.setBusVoltage(raw: 61_440)
        model.setDieTemperature(raw: 5_000)
        model.setCurrent(raw: -123_456)
        model.setPower(raw: 0xABCDEF)
        model.setEnergy(raw: 0x80_0000_0001)
        model.setCharge(raw: -987_654_321)
        let reading = try #require(try ina.read().first)
        let power = try #require(reading.power)
        #expect(close(power.shuntVolts, -12_345 * 312.5e-9, 1e-15))
        #expect(close(power.busVolts, 12.0))
        #expect(close(try #require(reading.celsius), 39.0625))
        #expect(power.amperes == -123_456 * calibration.currentLSB)
        #expect(power.watts == Double(0xABCDEF) * calibration.powerLSB)
        #expect(closeRelative(calibration.powerLSB, 3.2 * calibration.currentLSB))
        #expect(reading.energyJoules == Double(0x80_0000_0001 as UInt64) * calibration.energyLSB)
        #expect(closeRelative(calibration.energyLSB, 16 * 3.2 * calibration.currentLSB))
        #expect(reading.chargeCoulombs == -987_654_321 * calibration.currentLSB)
        #expect(reading.registers["0x09"] == 0x80_0000_0001)
        #expect(reading.hwmon == nil)
        #expect(try ina.readEnergyJoules() == reading.energyJoules)
        #expect(try ina.readDiagnostics().memoryOK)
    }

    @Test func ina228WorksOnAnI2CStubLikeAdapter() throws {
        let stub = Bench(functionality: .i2cStub)
        stub.chips.ina228.setBusVoltage(raw: 1000)
        let ina = try INA228(bus: stub.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2)
        try ina.prepare()
        #expect(close(try ina.readPower().busVolts, 0.1953125))
        #expect(!stub.recorder.accesses().contains { if case .other = $0 { true } else { false } })
    }

    @Test func ina3221ComputesCurrentAndPowerOnTheHost() throws {
        let ina = try INA3221(bus: bench.bus, address: 0x42, channels: [
            .init(number: 1, shuntOhms: 0.1, label: "5V"),
            .init(number: 3, shuntOhms: 0.05, label: "12V"),
        ])
        try ina.prepare()
        bench.chips.ina3221.setShuntVoltage(channel: 1, volts: 0.02)   // 500 counts
        bench.chips.ina3221.setBusVoltage(channel: 1, volts: 5.0)
        bench.chips.ina3221.setShuntVoltage(channel: 3, volts: -0.004)
        bench.chips.ina3221.setBusVoltage(channel: 3, volts: 12.0)
        let readings = try ina.read()
        #expect(readings.map(\.source.channel) == [1, 3])
        #expect(readings.map(\.source.label) == ["5V", "12V"])
        let five = try #require(readings[0].power)
        #expect(close(five.amperes, 0.2))
        #expect(close(five.watts, 1.0))
        let twelve = try #require(readings[1].power)
        #expect(close(twelve.shuntVolts, -0.004))
        #expect(close(twelve.amperes, -0.08))
        #expect(close(twelve.watts, -0.96))
        #expect(readings[1].hwmon == ["in3_input": 12000, "in6_input": -4000, "curr3_input": -80])
        #expect(try ina.readConfiguration().enabledChannels == [1, 3])
    }

    @Test func thermometersReadTheModelledTemperature() throws {
        let lm75 = LM75(bus: bench.bus, address: 0x48, label: "NPU die")
        try lm75.prepare()
        bench.chips.lm75.setTemperature(celsius: -25.3)
        #expect(try lm75.readCelsius() == -25.5)
        let tmp = TMP102(bus: bench.bus, address: 0x49)
        try tmp.prepare()
        bench.chips.tmp102.setTemperature(celsius: 42.1875)
        #expect(try tmp.readCelsius() == 42.1875)
        // Extended mode: the chip switches format, the driver follows bit 0.
        var extended = tmp
        extended.configuration.extendedMode = true
        try extended.configure()
        bench.chips.tmp102.setTemperature(celsius: 140)
        let reading = try #require(try extended.read().first)
        #expect(reading.celsius == 140)
        #expect(reading.hwmon == ["temp1_input": 140_000])
        #expect(try tmp.readCelsius() == 140, "the 12-bit-configured copy decodes the 13-bit format too")
    }

    @Test func readingsEncodeAsJSONAndPrintOnOneLine() throws {
        let ina = INA226(bus: bench.bus, address: 0x41, calibration: try .init(shuntOhms: 0.002, currentLSB: 0.001), label: "rail")
        try ina.prepare()
        bench.chips.ina226.setShuntVoltage(raw: 8000)
        bench.chips.ina226.setBusVoltage(raw: 9584)
        let reading = try #require(try ina.read().first)
        #expect(reading.description == "ina226 i2c-3 0x41 \"rail\": 11.980 V  10.000 A  119.800 W  (shunt 20.000 mV)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(reading)
        let decoded = try JSONDecoder().decode(SensorReading.self, from: data)
        #expect(decoded == reading)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"in1_input\":11980"))
        #expect(text.contains("\"type\":\"ina226\""))
    }
}
