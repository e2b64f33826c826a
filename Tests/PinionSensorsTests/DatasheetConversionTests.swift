import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// Conversions and calibrations against the worked examples and tables in the datasheets.
@Suite("Datasheet conversions")
struct DatasheetConversionTests {
    // MARK: INA219 (SBOS448)

    /// Section 8.5.1: 32 V, 2 A expected on 0.1 Ω; the example picks current_LSB = 100 µA,
    /// giving CAL = trunc(0.04096 / (0.0001 × 0.1)) = 4096 and a 2 mW power LSB.
    @Test func ina219CalibrationExample() throws {
        let chosen = try INA219.Calibration(shuntOhms: 0.1, currentLSB: 100e-6)
        #expect(chosen.registerValue == 4096)
        #expect(close(chosen.currentLSB, 100e-6))
        #expect(close(chosen.powerLSB, 2e-3))
        // The smallest LSB the example allows, max / 2^15 = 61.035 µA, gives 6710.88… → 6710.
        let finest = try INA219.Calibration(shuntOhms: 0.1, maxCurrentAmperes: 2)
        #expect(finest.registerValue == 6710)
        #expect(close(finest.nominalCurrentLSB, 2.0 / 32768))
        #expect(closeRelative(finest.currentLSB, 0.04096 / (6710 * 0.1)))
        #expect(finest.currentLSB >= finest.nominalCurrentLSB, "truncating CAL can only coarsen the LSB, never clip the range")
    }

    /// Table "Configure/Measure/Calculate Example": 10 A through 2 mΩ at 12 V, 16 V range, /1.
    @Test func ina219MeasureExampleOnTheEmulatedChip() throws {
        let bench = Bench()
        let ina = INA219(bus: bench.bus, address: 0x40, calibration: try .init(shuntOhms: 0.002, currentLSB: 0.001),
                         configuration: .init(busRange: .volts16, gain: .divideBy1, busADC: .bits12, shuntADC: .bits12,
                                              mode: .shuntAndBusContinuous))
        try ina.prepare()
        bench.chips.ina219.setShuntVoltage(raw: 2000)
        bench.chips.ina219.setBusVoltage(raw: 2995)
        let raw = try ina.readRaw()
        #expect(raw.shunt == 0x07D0)
        #expect(raw.bus >> 3 == 0x0BB3)
        #expect(raw.current == 0x2710)
        #expect(raw.power == 0x1766)
        let reading = INA219.convert(raw, calibration: ina.calibration)
        #expect(close(reading.shuntVolts, 0.020))
        #expect(close(reading.busVolts, 11.98))
        #expect(close(reading.amperes, 10.0, 1e-9))
        #expect(close(reading.watts, 119.8, 1e-9))
    }

    @Test func ina219ShuntIsSignedAndBusDropsFlags() {
        #expect(close(INA219.shuntVolts(0x7D00), 0.32))     // +32000 × 10 µV, full scale at /8
        #expect(close(INA219.shuntVolts(0x8300), -0.32))    // −32000
        #expect(close(INA219.shuntVolts(0xFFFF), -10e-6))
        #expect(close(INA219.busVolts(0xFFFB), 32.764))     // 8191 × 4 mV, with CNVR and OVF set
        let raw = INA219.RawReading(shunt: 0, bus: 0x0003, power: 0, current: 0)
        #expect(raw.conversionReady && raw.overflow)
    }

    @Test func ina219ConfigurationRoundTrips() {
        #expect(INA219.Configuration.powerOn.registerValue == 0x399F)
        #expect(INA219.Configuration(registerValue: 0x399F) == .powerOn)
        let averaged = INA219.Configuration(busRange: .volts16, gain: .divideBy2, busADC: .samples128, shuntADC: .bits9, mode: .busTriggered)
        #expect(INA219.Configuration(registerValue: averaged.registerValue) == averaged)
        #expect(INA219.ADCSetting.samples128.conversionMicroseconds == 68100)
        // 0b0100 aliases 9-bit ("0X00"), 0b1000 is 12-bit.
        #expect(INA219.Configuration(registerValue: 0b0100 << 3).shuntADC == .bits9)
        #expect(INA219.Configuration(registerValue: 0b1000 << 3).shuntADC == .bits12)
    }

    @Test func ina219CalibrationDropsBitZero() throws {
        // 0.04096 / (LSB × R) = 4097 → the chip keeps 4096.
        let odd = try INA219.Calibration(shuntOhms: 1, currentLSB: 0.04096 / 4097)
        #expect(odd.registerValue == 4096)
        #expect(INA219.Calibration(shuntOhms: 0.1, registerValue: 4097).registerValue == 4096)
    }

    // MARK: INA226 (SBOS547)

    /// Table 1 "Configure/Measure/Calculate Example": 10 A, 12 V, 2 mΩ, current_LSB = 1 mA.
    @Test func ina226MeasureExampleOnTheEmulatedChip() throws {
        let bench = Bench()
        let ina = INA226(bus: bench.bus, address: 0x41, calibration: try .init(shuntOhms: 0.002, currentLSB: 0.001))
        #expect(ina.calibration.registerValue == 0x0A00)
        try ina.prepare()
        bench.chips.ina226.setShuntVoltage(raw: 0x1F40)
        bench.chips.ina226.setBusVoltage(raw: 0x2570)
        let raw = try ina.readRaw()
        #expect(raw == INA226.RawReading(shunt: 0x1F40, bus: 0x2570, power: 0x12B8, current: 0x2710))
        let reading = try ina.readPower()
        #expect(close(reading.shuntVolts, 0.020))
        #expect(close(reading.busVolts, 11.98))
        #expect(close(reading.amperes, 10.0, 1e-9))
        #expect(close(reading.watts, 119.8, 1e-9))  // 4792 × 25 mW
    }

    /// CAL = trunc(0.00512 / (current_LSB × R)): 2 mΩ with 1.25 mA → 2048; 10 A max → LSB
    /// 305.18 µA → 8388.
    @Test func ina226CalibrationFormula() throws {
        #expect(try INA226.Calibration(shuntOhms: 0.002, currentLSB: 0.00125).registerValue == 2048)
        let finest = try INA226.Calibration(shuntOhms: 0.002, maxCurrentAmperes: 10)
        #expect(finest.registerValue == 8388)
        #expect(closeRelative(finest.currentLSB, 0.00512 / (8388 * 0.002)))
        #expect(closeRelative(finest.powerLSB, 25 * finest.currentLSB))
        // The kernel's fixed calibration read back from a chip: 2048 on 10 mΩ means 250 µA.
        let adopted = INA226.Calibration(shuntOhms: 0.01, registerValue: 2048)
        #expect(closeRelative(adopted.currentLSB, 250e-6))
    }

    @Test func ina226NegativeShuntAndCurrent() throws {
        let calibration = try INA226.Calibration(shuntOhms: 0.002, currentLSB: 0.001)
        #expect(close(INA226.shuntVolts(0xFF38), -0.0005))     // −200 × 2.5 µV
        #expect(close(INA226.shuntVolts(0x8000), -0.08192))    // most negative: −81.92 mV
        #expect(close(INA226.shuntVolts(0x7FFF), 0.0819175))
        #expect(close(INA226.amperes(0xD8F0, calibration: calibration), -10.0, 1e-9))  // −10000
        #expect(close(INA226.busVolts(0x7FFF), 40.95875))
    }

    @Test func ina226ConfigurationFields() {
        #expect(INA226.Configuration.powerOn.registerValue == 0x4127)
        #expect(INA226.Configuration(registerValue: 0x4127) == .powerOn)
        let slowest = INA226.Configuration(averaging: .x1024, busConversionTime: .us8244, shuntConversionTime: .us8244, mode: .shuntContinuous)
        #expect(slowest.registerValue == 0x4FFD)
        #expect(slowest.updateMicroseconds == 2 * 8244 * 1024)
        #expect(INAAveraging(samples: 64) == .x64)
        #expect(INAAveraging(samples: 3) == nil)
        #expect(INAConversionTime(microseconds: 140) == .us140)
        #expect(INAConversionTime.allCases.map(\.microseconds) == [140, 204, 332, 588, 1100, 2116, 4156, 8244])
    }

    @Test func calibrationsThatDoNotFitAreRefused() {
        #expect(throws: CalibrationError.self) { try INA226.Calibration(shuntOhms: 0, maxCurrentAmperes: 1) }
        #expect(throws: CalibrationError.self) { try INA226.Calibration(shuntOhms: 0.01, maxCurrentAmperes: -1) }
        // 0.00512 / (1 A / 32768 × 0.0001 Ω) = 1 677 721 > 32767: the shunt is too small for that resolution.
        let tooFine = #expect(throws: CalibrationError.self) { try INA226.Calibration(shuntOhms: 0.0001, maxCurrentAmperes: 1) }
        #expect(tooFine?.message.contains("raise the maximum current") == true)
        let tooCoarse = #expect(throws: CalibrationError.self) { try INA226.Calibration(shuntOhms: 10, currentLSB: 1) }
        #expect(tooCoarse?.message.contains("lower the maximum current") == true)
    }

    // MARK: INA228 (SBOS938)

    @Test func ina228ShuntCalFormula() throws {
        let calibration = try INA228.Calibration(shuntOhms: 0.01, maxCurrentAmperes: 2)
        #expect(calibration.registerValue == 500)
        #expect(closeRelative(calibration.currentLSB, 2.0 / 524_288))
        #expect(closeRelative(calibration.powerLSB, 3.2 * 2.0 / 524_288))
        #expect(closeRelative(calibration.energyLSB, 16 * 3.2 * 2.0 / 524_288))
        let narrow = try INA228.Calibration(shuntOhms: 0.01, maxCurrentAmperes: 2, adcRange: .millivolts40_96)
        #expect(narrow.registerValue == 2000)
        #expect(closeRelative(narrow.currentLSB, calibration.currentLSB))
        // 13107.2e6 × (1 A / 2^19) × 0.003 Ω = 75.0 exactly; 0.0031 Ω gives 77.5 → rounded up to 78
        // so the effective LSB is not below the requested one and 1 A stays in range.
        #expect(try INA228.Calibration(shuntOhms: 0.003, maxCurrentAmperes: 1).registerValue == 75)
        let up = try INA228.Calibration(shuntOhms: 0.0031, maxCurrentAmperes: 1)
        #expect(up.registerValue == 78)
        #expect(up.currentLSB >= up.nominalCurrentLSB)
        // The kernel's fixed 4096 read back: 4096 / (13107.2e6 × 0.005) = 62.5 µA per count.
        #expect(closeRelative(INA228.Calibration(shuntOhms: 0.005, registerValue: 4096).currentLSB, 62.5e-6))
    }

    @Test func ina228TwentyAndFortyBitFields() throws {
        #expect(INA228.signed20(0x7FFFF0) == 524_287)
        #expect(INA228.signed20(0x800000) == -524_288)
        #expect(INA228.signed20(0xFFFFF0) == -1)
        #expect(INA228.signed20(0x00001F) == 1, "bits 3:0 are reserved and ignored")
        #expect(INA228.signed40(0xFF_FFFF_FFFF) == -1)
        #expect(INA228.signed40(0x7F_FFFF_FFFF) == 549_755_813_887)
        let calibration = try INA228.Calibration(shuntOhms: 0.01, maxCurrentAmperes: 2)
        #expect(close(INA228.busVolts(61_440 << 4), 12.0))                             // 61440 × 195.3125 µV
        #expect(close(INA228.shuntVolts(0x800000, adcRange: .millivolts163_84), -0.16384))
        #expect(close(INA228.shuntVolts(0x800000, adcRange: .millivolts40_96), -0.04096))
        #expect(close(INA228.dieCelsius(0x0C80), 25.0))                               // 3200 × 7.8125 m°C
        #expect(close(INA228.dieCelsius(0xF380), -25.0))
        #expect(closeRelative(INA228.joules(1 << 39, calibration: calibration), Double(1 << 39) * 16 * 3.2 * 2 / 524_288))
        #expect(INA228.joules(1 << 39, calibration: calibration) > 0, "ENERGY is unsigned")
        #expect(close(INA228.coulombs(0xFF_FFFF_FFFF, calibration: calibration), -calibration.currentLSB))
    }

    @Test func ina228ConfigurationPowerOn() {
        #expect(INA228.Configuration.powerOn.configurationRegister == 0x0000)
        #expect(INA228.Configuration.powerOn.adcConfigurationRegister == 0xFB68)
        #expect(INA228.Configuration(configurationRegister: 0, adcConfigurationRegister: 0xFB68) == .powerOn)
    }

    // MARK: INA3221 (SBOS576)

    @Test func ina3221ThirteenBitFields() {
        #expect(close(INA3221.shuntVolts(0x7FF8), 0.1638))    // 4095 × 40 µV
        #expect(close(INA3221.shuntVolts(0xFFF8), -40e-6))
        #expect(close(INA3221.shuntVolts(0x8000), -0.16384))
        #expect(close(INA3221.shuntVolts(0x0007), 0), "bits 2:0 are not data")
        #expect(close(INA3221.busVolts(0x7FF8), 32.76))       // 4095 × 8 mV
        let reading = INA3221.convert(.init(shunt: 250 << 3, bus: 1500 << 3), shuntOhms: 0.1)
        #expect(close(reading.shuntVolts, 0.01))
        #expect(close(reading.amperes, 0.1))                   // 10 mV / 0.1 Ω
        #expect(close(reading.watts, 1.2))                     // 12 V × 0.1 A
        #expect(INA3221.Configuration.powerOn.registerValue == 0x7127)
        #expect(INA3221.Configuration(registerValue: 0x7127) == .powerOn)
    }

    // MARK: LM75, TMP102

    /// LM75 datasheet temperature table (9-bit, bits 15:7).
    @Test(arguments: [
        (0x7D00, 125.0), (0x1900, 25.0), (0x0080, 0.5), (0x0000, 0.0),
        (0xFF80, -0.5), (0xE700, -25.0), (0xC900, -55.0),
    ] as [(UInt16, Double)])
    func lm75Table(register: UInt16, celsius: Double) {
        #expect(LM75.celsius(register) == celsius)
        #expect(LM75.register(celsius: celsius) == register)
    }

    @Test func lm75DropsBitsBelowItsResolutionTowardMinusInfinity() {
        #expect(LM75.celsius(0x1960) == 25.0)     // an 11-bit 25.375 °C read as a 9-bit LM75
        #expect(LM75.celsius(0xE6E0) == -25.5)    // −25.125 °C at 11 bits floors to −25.5 at 9
        #expect(LM75.celsius(0x1960, resolutionBits: 11) == 25.375)
        #expect(LM75.celsius(0xE6E0, resolutionBits: 11) == -25.125)
        #expect(LM75.register(celsius: 200) == 0x7D00, "clamped to 125 °C")
    }

    /// TMP102 datasheet tables: 12-bit (bits 15:4) and extended 13-bit (bits 15:3, bit 0 set).
    @Test(arguments: [
        (0x7FF0, 127.9375), (0x6400, 100.0), (0x5000, 80.0), (0x4B00, 75.0), (0x3200, 50.0), (0x1900, 25.0),
        (0x0040, 0.25), (0x0000, 0.0), (0xFFC0, -0.25), (0xE700, -25.0), (0xC900, -55.0),
        (0x4B01, 150.0), (0x4001, 128.0), (0x3FF9, 127.9375), (0x3201, 100.0), (0x0021, 0.25), (0xFFE1, -0.25), (0xE481, -55.0),
    ] as [(UInt16, Double)])
    func tmp102Tables(register: UInt16, celsius: Double) {
        #expect(TMP102.celsius(register) == celsius)
    }

    @Test func tmp102ConfigurationPowerOn() {
        #expect(TMP102.Configuration.powerOn.registerValue == 0x60A0)
        #expect(TMP102.Configuration(registerValue: 0x60A0) == .powerOn)
        #expect(TMP102.Configuration(registerValue: 0xE0A0) == .powerOn, "OS (bit 15) is a status, not a setting")
    }
}
