import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// Each driver operation makes exactly these register accesses, in this order, and nothing else:
/// SMBus word, byte and I2C-block transactions only (what i2c-stub supports), never I2C_RDWR.
@Suite("Transaction tables")
struct TransactionTableTests {
    let bench = Bench()

    // MARK: INA226

    @Test func ina226PrepareIdentifiesConfiguresAndCalibrates() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.002, maxCurrentAmperes: 10,
                             configuration: .init(averaging: .x16, busConversionTime: .us1100, shuntConversionTime: .us1100,
                                                  mode: .shuntAndBusContinuous))
        try ina.prepare()
        #expect(bench.recorder.accesses() == [
            .read16(0xFE), .read16(0xFF),
            .write16(0x00, 0x4527),  // 0x4000 | AVG 16 (010 << 9) | VBUSCT 1.1 ms (100 << 6) | VSHCT (100 << 3) | MODE 111
            .write16(0x05, 8388),    // trunc(0.00512 / (10 A / 32768 × 0.002 Ω)) = trunc(8388.608)
        ])
    }

    @Test func ina226ReadReadsShuntBusPowerCurrent() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, calibration: .init(shuntOhms: 0.002, currentLSB: 0.001))
        _ = try ina.read()
        #expect(bench.recorder.accesses() == [.read16(0x01), .read16(0x02), .read16(0x03), .read16(0x04)])
    }

    @Test func ina226RegistersGoHighByteFirstOnTheWire() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, calibration: .init(shuntOhms: 0.002, currentLSB: 0.001))
        try ina.configure()
        try ina.calibrate()
        #expect(bench.bus.log == [
            EmulatedI2CTransaction(0x41, .write([0x00, 0x41, 0x27])),
            EmulatedI2CTransaction(0x41, .write([0x05, 0x0A, 0x00])),  // 2560
        ])
        bench.clear()
        bench.chips.ina226.setBusVoltage(raw: 0x2570)
        _ = try ina.readRaw()
        #expect(bench.bus.log[1] == EmulatedI2CTransaction(0x41, .write([0x02]), .read([0x25, 0x70])))
    }

    @Test func ina226ResetAndReadBack() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.01)
        try ina.reset()
        #expect(try ina.readConfiguration() == .powerOn)
        _ = try ina.readCalibration(shuntOhms: 0.01)
        #expect(bench.recorder.accesses() == [.write16(0x00, 0x8000), .read16(0x00), .read16(0x05)])
    }

    // MARK: INA219

    @Test func ina219PrepareConfiguresAndCalibratesWithoutIdentifying() throws {
        let configuration = INA219.Configuration(busRange: .volts16, gain: .divideBy1, busADC: .bits12, shuntADC: .bits12,
                                                 mode: .shuntAndBusContinuous)
        let ina = INA219(bus: bench.bus, address: 0x40, calibration: try .init(shuntOhms: 0.002, currentLSB: 0.001),
                         configuration: configuration)
        try ina.prepare()
        #expect(bench.recorder.accesses() == [.write16(0x00, 0x019F), .write16(0x05, 20480)])
    }

    @Test func ina219ReadReadsShuntBusPowerCurrent() throws {
        let ina = try INA219(bus: bench.bus, address: 0x40, shuntOhms: 0.1, maxCurrentAmperes: 2)
        _ = try ina.read()
        #expect(bench.recorder.accesses() == [.read16(0x01), .read16(0x02), .read16(0x03), .read16(0x04)])
    }

    // MARK: INA228

    @Test func ina228PrepareWritesConfigADCConfigAndShuntCal() throws {
        let ina = try INA228(bus: bench.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2)
        try ina.prepare()
        #expect(bench.recorder.accesses() == [
            .read16(0x3E), .read16(0x3F),
            .write16(0x00, 0x0000), .write16(0x01, 0xFB68),
            .write16(0x02, 500),  // 13107.2e6 × (2 A / 2^19) × 0.01 Ω
        ])
    }

    @Test func ina228ADCRangeOneSetsTheBitAndQuadruplesShuntCal() throws {
        let configuration = INA228.Configuration(adcRange: .millivolts40_96, conversionDelayMilliseconds: 10, temperatureCompensation: true,
                                                 mode: .shuntAndBusContinuous, averaging: .x64)
        let ina = try INA228(bus: bench.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2, configuration: configuration)
        try ina.configure()
        try ina.calibrate()
        let config: UInt16 = 5 << 6 | 0x0020 | 0x0010                                  // CONVDLY 10 ms, TEMPCOMP, ADCRANGE
        let adcConfig: UInt16 = 0xB000 | 0b101 << 9 | 0b101 << 6 | 0b101 << 3 | 0b011  // MODE B, 1052 µs ×3, AVG 64
        #expect(bench.recorder.accesses() == [.write16(0x00, config), .write16(0x01, adcConfig), .write16(0x02, 2000)])
        #expect(try ina.readConfiguration() == configuration)
    }

    @Test func ina228ReadUsesBlockReadsForWideRegisters() throws {
        let ina = try INA228(bus: bench.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2)
        _ = try ina.read()
        #expect(bench.recorder.accesses() == [
            .readBlock(0x04, 3), .readBlock(0x05, 3), .read16(0x06), .readBlock(0x07, 3), .readBlock(0x08, 3),
            .readBlock(0x09, 5), .readBlock(0x0A, 5),
        ])
    }

    @Test func ina228EnergyIsOneFiveByteReadAndResetSetsRSTACC() throws {
        bench.chips.ina228.setEnergy(raw: 0x01_0203_0405)
        let ina = try INA228(bus: bench.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2)
        _ = try ina.readEnergyJoules()
        #expect(bench.bus.log == [EmulatedI2CTransaction(0x44, .write([0x09]), .read([0x01, 0x02, 0x03, 0x04, 0x05]))])
        try ina.resetAccumulators()
        #expect(bench.recorder.accesses() == [.readBlock(0x09, 5), .write16(0x00, 0x4000)])
        #expect(bench.chips.ina228.peek(0x09) == 0)
    }

    // MARK: INA3221

    @Test func ina3221PrepareEnablesOnlyItsChannels() throws {
        let ina = try INA3221(bus: bench.bus, address: 0x42, channels: [.init(number: 2, shuntOhms: 0.1)])
        try ina.prepare()
        #expect(bench.recorder.accesses() == [.read16(0xFE), .read16(0xFF), .write16(0x00, 0x2127)])
    }

    @Test func ina3221ReadsShuntThenBusPerChannel() throws {
        let all = try INA3221(bus: bench.bus, address: 0x42, channels: [3, 1, 2].map { .init(number: $0, shuntOhms: 0.1) })
        #expect(try all.read().map(\.source.channel) == [1, 2, 3])
        #expect(bench.recorder.accesses() == [.read16(0x01), .read16(0x02), .read16(0x03), .read16(0x04), .read16(0x05), .read16(0x06)])
        bench.clear()
        let third = try INA3221(bus: bench.bus, address: 0x42, channels: [.init(number: 3, shuntOhms: 0.1)])
        _ = try third.read()
        #expect(bench.recorder.accesses() == [.read16(0x05), .read16(0x06)])
    }

    // MARK: LM75, TMP102

    @Test func lm75ConfigIsAByteAndTemperatureAWord() throws {
        let lm75 = LM75(bus: bench.bus, address: 0x48, configuration: .init(interruptMode: true, faultQueue: .four))
        try lm75.prepare()
        _ = try lm75.read()
        try lm75.setLimits(hysteresis: 70, overTemperature: 85.5)
        #expect(bench.recorder.accesses() == [.write8(0x01, 0x12), .read16(0x00), .write16(0x02, 0x4600), .write16(0x03, 0x5580)])
        #expect(bench.bus.log[0] == EmulatedI2CTransaction(0x48, .write([0x01, 0x12])))
        let limits = try lm75.readLimits()
        #expect(limits.hysteresis == 70)
        #expect(limits.overTemperature == 85.5)
    }

    @Test func tmp102ConfigAndTemperatureAreWords() throws {
        let tmp = TMP102(bus: bench.bus, address: 0x49, configuration: .init(extendedMode: true, conversionRate: .hz8))
        try tmp.prepare()
        _ = try tmp.read()
        #expect(bench.recorder.accesses() == [.write16(0x01, 0x60F0), .read16(0x00)])
        #expect(try tmp.readConfiguration() == tmp.configuration)
    }
}
