import PinionI2C

/// TI INA228 20-bit power, energy and charge monitor, per its datasheet (SBOS938).
///
/// Registers, high byte first, of mixed widths: CONFIG 0x00 (RST 15, RSTACC 14, CONVDLY 13:6 in
/// 2 ms steps, TEMPCOMP 5, ADCRANGE 4), ADC_CONFIG 0x01 (MODE 15:12, VBUSCT 11:9, VSHCT 8:6,
/// VTCT 5:3, AVG 2:0; POR 0xFB68), SHUNT_CAL 0x02 (bits 14:0), SHUNT_TEMPCO 0x03 — all 16-bit;
/// VSHUNT 0x04, VBUS 0x05, CURRENT 0x07 — 24-bit with a 20-bit value in bits 23:4; POWER 0x08 —
/// 24-bit; DIETEMP 0x06 — 16-bit; ENERGY 0x09 and CHARGE 0x0A — 40-bit accumulators;
/// DIAG_ALRT 0x0B; MANUFACTURER_ID 0x3E (0x5449) and DEVICE_ID 0x3F (0x228x).
///
/// Scales: VSHUNT 312.5 nV (ADCRANGE 0, ±163.84 mV) or 78.125 nV (ADCRANGE 1, ±40.96 mV), VBUS
/// 195.3125 µV, DIETEMP 7.8125 m°C, CURRENT × CURRENT_LSB, POWER × 3.2 × CURRENT_LSB, ENERGY ×
/// 16 × 3.2 × CURRENT_LSB joules, CHARGE × CURRENT_LSB coulombs. CURRENT_LSB = maximum current / 2¹⁹
/// and SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R, × 4 when ADCRANGE = 1.
///
/// Transfers: 16-bit registers are SMBus word transfers (swapped); 24- and 40-bit registers are
/// one SMBus I2C block read each (I2C_SMBUS_I2C_BLOCK_DATA, 3 or 5 bytes), as the kernel's ina238
/// driver reads them. An adapter without I2C block reads (`I2CFunctionality.smbusReadI2CBlock`)
/// cannot read this chip's measurements: the driver checks `functionality()` and throws
/// `.adapterLacks` rather than guess. On i2c-stub, which keeps one byte per register address for
/// block transfers, a 3-byte read of 0x04 returns the low bytes of 0x04, 0x05 and 0x06, so a lab
/// can only stage one wide register at a time there.
///
/// Operations: `identify` reads 0x3E, 0x3F; `configure` writes 0x00 then 0x01; `calibrate` writes
/// 0x02; `resetAccumulators` writes 0x00 with RSTACC; `read` reads 0x04 (3 bytes), 0x05 (3), 0x06
/// (word), 0x07 (3), 0x08 (3), 0x09 (5), 0x0A (5).
///
/// Pinion and the kernel: the 6.1 kernels have no INA228 support; later ina238 drivers write a
/// fixed SHUNT_CAL of 4096 and round every value to hwmon's integer units. Pinion programs
/// SHUNT_CAL from the shunt and the maximum current, rounding SHUNT_CAL up (so the requested
/// maximum current stays within the 20-bit range), and works with the CURRENT_LSB that integer
/// gives: SHUNT_CAL / (13107.2 × 10⁶ × R) (÷ 4 with ADCRANGE = 1). Readings carry no `hwmon` values.
public struct INA228: Sensor {
    /// Register addresses (SBOS938 "Register Map").
    public enum Register: UInt8, Sendable, CaseIterable {
        case configuration = 0x00, adcConfiguration = 0x01, shuntCalibration = 0x02, shuntTemperatureCoefficient = 0x03
        case shuntVoltage = 0x04, busVoltage = 0x05, dieTemperature = 0x06, current = 0x07, power = 0x08
        case energy = 0x09, charge = 0x0A, diagnosticAlert = 0x0B, manufacturerID = 0x3E, deviceID = 0x3F

        /// Bytes on the wire.
        public var width: Int {
            switch self {
            case .shuntVoltage, .busVoltage, .current, .power: 3
            case .energy, .charge: 5
            default: 2
            }
        }
    }

    /// Shunt full-scale range (CONFIG ADCRANGE, bit 4).
    public enum ADCRange: UInt16, Sendable, Hashable, Codable, CaseIterable {
        /// ±163.84 mV, 312.5 nV per count.
        case millivolts163_84 = 0
        /// ±40.96 mV, 78.125 nV per count.
        case millivolts40_96 = 1

        public var shuntLSB: Double { self == .millivolts163_84 ? 312.5e-9 : 78.125e-9 }
        public var fullScaleVolts: Double { self == .millivolts163_84 ? 0.16384 : 0.04096 }
    }

    /// Conversion time per measurement (VBUSCT, VSHCT, VTCT: 3-bit fields).
    public enum ConversionTime: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case us50 = 0, us84, us150, us280, us540, us1052, us2074, us4120
        public var microseconds: Int { [50, 84, 150, 280, 540, 1052, 2074, 4120][Int(rawValue)] }
    }

    /// ADC_CONFIG MODE (bits 15:12): what is measured, once (triggered) or continuously.
    public enum Mode: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case shutdown = 0x0
        case busTriggered = 0x1, shuntTriggered = 0x2, shuntAndBusTriggered = 0x3
        case temperatureTriggered = 0x4, temperatureAndBusTriggered = 0x5, temperatureAndShuntTriggered = 0x6, allTriggered = 0x7
        case shutdownToo = 0x8
        case busContinuous = 0x9, shuntContinuous = 0xA, shuntAndBusContinuous = 0xB
        case temperatureContinuous = 0xC, busAndTemperatureContinuous = 0xD, temperatureAndShuntContinuous = 0xE, allContinuous = 0xF
    }

    /// CONFIG and ADC_CONFIG.
    public struct Configuration: Sendable, Hashable, Codable {
        public var adcRange: ADCRange
        /// Delay before the first conversion, 0–510 ms in 2 ms steps (CONVDLY).
        public var conversionDelayMilliseconds: Int
        /// TEMPCOMP: correct the shunt for temperature with SHUNT_TEMPCO.
        public var temperatureCompensation: Bool
        public var mode: Mode
        public var busConversionTime: ConversionTime
        public var shuntConversionTime: ConversionTime
        public var temperatureConversionTime: ConversionTime
        public var averaging: INAAveraging

        /// Power-on: CONFIG 0x0000, ADC_CONFIG 0xFB68 (everything continuous, 1052 µs, no averaging).
        public static let powerOn = Configuration()

        public init(adcRange: ADCRange = .millivolts163_84, conversionDelayMilliseconds: Int = 0, temperatureCompensation: Bool = false,
                    mode: Mode = .allContinuous, busConversionTime: ConversionTime = .us1052, shuntConversionTime: ConversionTime = .us1052,
                    temperatureConversionTime: ConversionTime = .us1052, averaging: INAAveraging = .x1) {
            self.adcRange = adcRange
            self.conversionDelayMilliseconds = conversionDelayMilliseconds
            self.temperatureCompensation = temperatureCompensation
            self.mode = mode
            self.busConversionTime = busConversionTime
            self.shuntConversionTime = shuntConversionTime
            self.temperatureConversionTime = temperatureConversionTime
            self.averaging = averaging
        }

        /// CONFIG (0x00) without the reset bits.
        public var configurationRegister: UInt16 {
            UInt16(min(255, max(0, conversionDelayMilliseconds / 2))) << 6 | (temperatureCompensation ? 0x0020 : 0) | adcRange.rawValue << 4
        }

        /// ADC_CONFIG (0x01).
        public var adcConfigurationRegister: UInt16 {
            mode.rawValue << 12 | busConversionTime.rawValue << 9 | shuntConversionTime.rawValue << 6
                | temperatureConversionTime.rawValue << 3 | averaging.rawValue
        }

        public init(configurationRegister config: UInt16, adcConfigurationRegister adc: UInt16) {
            adcRange = ADCRange(rawValue: config >> 4 & 1)!
            conversionDelayMilliseconds = Int(config >> 6 & 0xFF) * 2
            temperatureCompensation = config & 0x0020 != 0
            mode = Mode(rawValue: adc >> 12)!
            busConversionTime = ConversionTime(rawValue: adc >> 9 & 0b111)!
            shuntConversionTime = ConversionTime(rawValue: adc >> 6 & 0b111)!
            temperatureConversionTime = ConversionTime(rawValue: adc >> 3 & 0b111)!
            averaging = INAAveraging(rawValue: adc & 0b111)!
        }
    }

    /// A shunt resistance, the ADC range, and the SHUNT_CAL value programmed for them.
    public struct Calibration: Sendable, Hashable, Codable {
        public var shuntOhms: Double
        public var adcRange: ADCRange
        /// SHUNT_CAL (1…32767).
        public var registerValue: UInt16
        /// The current LSB asked for, amperes per count.
        public var nominalCurrentLSB: Double

        /// 13107.2 × 10⁶, × 4 for ADCRANGE = 1.
        static func factor(_ range: ADCRange) -> Double { range == .millivolts163_84 ? 13107.2e6 : 4 * 13107.2e6 }

        /// SHUNT_CAL for a maximum current: CURRENT_LSB = max / 2¹⁹.
        public init(shuntOhms: Double, maxCurrentAmperes: Double, adcRange: ADCRange = .millivolts163_84) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(maxCurrentAmperes, "maximum current", "amperes")
            try self.init(shuntOhms: shuntOhms, currentLSB: maxCurrentAmperes / 524_288, adcRange: adcRange)
        }

        /// SHUNT_CAL for a chosen CURRENT_LSB, rounded up to a whole count.
        public init(shuntOhms: Double, currentLSB: Double, adcRange: ADCRange = .millivolts163_84) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(currentLSB, "current LSB", "amperes")
            let value = CalibrationMath.ceilingCount(Self.factor(adcRange) * currentLSB * shuntOhms)
            let factorText = adcRange == .millivolts163_84 ? "13107.2e6" : "4 × 13107.2e6"
            let register = try CalibrationMath.register(value, max: 0x7FFF, formula: "\(factorText) × \(currentLSB) A × \(shuntOhms) Ω")
            self.shuntOhms = shuntOhms
            self.adcRange = adcRange
            self.registerValue = UInt16(register)
            self.nominalCurrentLSB = currentLSB
        }

        /// A SHUNT_CAL already in the chip.
        public init(shuntOhms: Double, registerValue: UInt16, adcRange: ADCRange = .millivolts163_84) {
            self.shuntOhms = shuntOhms
            self.adcRange = adcRange
            self.registerValue = registerValue & 0x7FFF
            self.nominalCurrentLSB = Double(self.registerValue) / (Self.factor(adcRange) * shuntOhms)
        }

        /// The CURRENT_LSB the chip works with: SHUNT_CAL / (13107.2 × 10⁶ × R) (÷ 4 with ADCRANGE 1).
        public var currentLSB: Double { Double(registerValue) / (Self.factor(adcRange) * shuntOhms) }
        /// 3.2 × CURRENT_LSB, watts per count.
        public var powerLSB: Double { 3.2 * currentLSB }
        /// 16 × 3.2 × CURRENT_LSB, joules per count.
        public var energyLSB: Double { 16 * 3.2 * currentLSB }
        /// CURRENT_LSB, coulombs per count.
        public var chargeLSB: Double { currentLSB }
    }

    /// Register contents of one reading, as read (24- and 40-bit values right-aligned).
    public struct RawReading: Sendable, Hashable {
        public var shunt: UInt32
        public var bus: UInt32
        public var dieTemperature: UInt16
        public var current: UInt32
        public var power: UInt32
        public var energy: UInt64
        public var charge: UInt64

        public init(shunt: UInt32, bus: UInt32, dieTemperature: UInt16, current: UInt32, power: UInt32, energy: UInt64, charge: UInt64) {
            self.shunt = shunt
            self.bus = bus
            self.dieTemperature = dieTemperature
            self.current = current
            self.power = power
            self.energy = energy
            self.charge = charge
        }
    }

    /// DIAG_ALRT flags Pinion acts on.
    public struct Diagnostics: Sendable, Hashable, Codable {
        public var raw: UInt16
        /// ENERGYOF (bit 11): the ENERGY accumulator overflowed.
        public var energyOverflow: Bool { raw & 0x0800 != 0 }
        /// CHARGEOF (bit 10): the CHARGE accumulator overflowed.
        public var chargeOverflow: Bool { raw & 0x0400 != 0 }
        /// MATHOF (bit 9): an arithmetic operation overflowed; CURRENT and POWER may be wrong.
        public var mathOverflow: Bool { raw & 0x0200 != 0 }
        /// CNVRF (bit 1): a conversion completed (cleared by reading DIAG_ALRT).
        public var conversionReady: Bool { raw & 0x0002 != 0 }
        /// MEMSTAT (bit 0): 1 unless the trim memory has a checksum error.
        public var memoryOK: Bool { raw & 0x0001 != 0 }
    }

    public static let busLSB = 195.3125e-6
    public static let dieTemperatureLSB = 7.8125e-3
    public static let defaultAddress: I2CAddress = 0x40

    public let bus: any I2CBus
    public let address: I2CAddress
    public var calibration: Calibration
    public var configuration: Configuration
    public var label: String?

    /// A driver with a calibration and configuration to program; their ADC ranges must agree.
    public init(bus: any I2CBus, address: I2CAddress = INA228.defaultAddress, calibration: Calibration,
                configuration: Configuration = .powerOn, label: String? = nil) throws(SensorError) {
        self.bus = bus
        self.address = address
        self.calibration = calibration
        self.configuration = configuration
        self.label = label
        guard calibration.adcRange == configuration.adcRange else {
            throw registers.error(.invalidConfiguration("the calibration is for ADCRANGE \(calibration.adcRange.rawValue) but the configuration sets \(configuration.adcRange.rawValue)"), "configure")
        }
    }

    /// A driver calibrated for `shuntOhms` and `maxCurrentAmperes` (default: the current that
    /// fills the configured shunt range, 163.84 mV / R or 40.96 mV / R).
    public init(bus: any I2CBus, address: I2CAddress = INA228.defaultAddress, shuntOhms: Double, maxCurrentAmperes: Double? = nil,
                configuration: Configuration = .powerOn, label: String? = nil) throws(SensorError) {
        let calibration: Calibration
        do throws(CalibrationError) {
            calibration = try Calibration(shuntOhms: shuntOhms, maxCurrentAmperes: maxCurrentAmperes ?? configuration.adcRange.fullScaleVolts / shuntOhms,
                                          adcRange: configuration.adcRange)
        } catch {
            throw SensorError(.invalidConfiguration(error.message), chip: .ina228, bus: bus.name, address: address, operation: "calibrate")
        }
        try self.init(bus: bus, address: address, calibration: calibration, configuration: configuration, label: label)
    }

    public var source: SensorSource { SensorSource(type: .ina228, bus: bus.name, address: address, label: label) }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .ina228) }

    /// Reads 0x3E and 0x3F; throws `.wrongChip` unless they say INA228 (0x5449, device 0x228x).
    @discardableResult
    public func identify() throws(SensorError) -> TIIdentity {
        try registers.identifyTI(manufacturerRegister: Register.manufacturerID.rawValue, deviceRegister: Register.deviceID.rawValue, dieID: 0x228)
    }

    /// Writes CONFIG (0x00) then ADC_CONFIG (0x01).
    public func configure() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, configuration.configurationRegister, "configure")
        try registers.write16(Register.adcConfiguration.rawValue, configuration.adcConfigurationRegister, "configure ADC")
    }

    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(configurationRegister: try registers.read16(Register.configuration.rawValue, "read configuration"),
                      adcConfigurationRegister: try registers.read16(Register.adcConfiguration.rawValue, "read ADC configuration"))
    }

    /// Writes SHUNT_CAL (0x02).
    public func calibrate() throws(SensorError) {
        try registers.write16(Register.shuntCalibration.rawValue, calibration.registerValue, "calibrate")
    }

    /// Reads SHUNT_CAL and CONFIG's ADCRANGE and returns the calibration they mean for `shuntOhms`.
    public func readCalibration(shuntOhms: Double) throws(SensorError) -> Calibration {
        let config = try registers.read16(Register.configuration.rawValue, "read configuration")
        return Calibration(shuntOhms: shuntOhms, registerValue: try registers.read16(Register.shuntCalibration.rawValue, "read calibration"),
                           adcRange: ADCRange(rawValue: config >> 4 & 1)!)
    }

    /// Zeroes ENERGY and CHARGE: writes CONFIG with RSTACC (bit 14) and the configured fields.
    public func resetAccumulators() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, 0x4000 | configuration.configurationRegister, "reset accumulators")
    }

    /// Sets RST (CONFIG bit 15): every register returns to its power-on value.
    public func reset() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, 0x8000, "reset")
    }

    /// Identify, configure, calibrate. The accumulators keep counting from where they were;
    /// call `resetAccumulators` to start them at zero.
    public func prepare() throws(SensorError) {
        try identify()
        try configure()
        try calibrate()
    }

    func readWide(_ register: Register, _ operation: String) throws(SensorError) -> UInt64 {
        try registers.readWide(register.rawValue, bytes: register.width, operation)
    }

    /// Reads 0x04–0x0A.
    public func readRaw() throws(SensorError) -> RawReading {
        RawReading(shunt: UInt32(try readWide(.shuntVoltage, "read shunt voltage")),
                   bus: UInt32(try readWide(.busVoltage, "read bus voltage")),
                   dieTemperature: try registers.read16(Register.dieTemperature.rawValue, "read die temperature"),
                   current: UInt32(try readWide(.current, "read current")),
                   power: UInt32(try readWide(.power, "read power")),
                   energy: try readWide(.energy, "read energy"),
                   charge: try readWide(.charge, "read charge"))
    }

    /// The ENERGY accumulator alone (0x09, 5 bytes), joules.
    public func readEnergyJoules() throws(SensorError) -> Double {
        Self.joules(try readWide(.energy, "read energy"), calibration: calibration)
    }

    /// DIAG_ALRT (0x0B). Reading clears CNVRF.
    public func readDiagnostics() throws(SensorError) -> Diagnostics {
        Diagnostics(raw: try registers.read16(Register.diagnosticAlert.rawValue, "read diagnostics"))
    }

    public func readPower() throws(SensorError) -> PowerReading { Self.convert(try readRaw(), calibration: calibration) }

    public func read() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw())] }

    public func sample() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw(), views: false)] }

    /// The reading for register contents, with (`views`) the raw values.
    public func reading(from raw: RawReading, views: Bool = true) -> SensorReading {
        let key = SensorReading.registerKey
        return SensorReading(
            source: source, power: Self.convert(raw, calibration: calibration), celsius: Self.dieCelsius(raw.dieTemperature),
            energyJoules: Self.joules(raw.energy, calibration: calibration),
            chargeCoulombs: Self.coulombs(raw.charge, calibration: calibration),
            registers: !views ? [:] : [key(0x02): UInt64(calibration.registerValue), key(0x04): UInt64(raw.shunt), key(0x05): UInt64(raw.bus),
                        key(0x06): UInt64(raw.dieTemperature), key(0x07): UInt64(raw.current), key(0x08): UInt64(raw.power),
                        key(0x09): raw.energy, key(0x0A): raw.charge])
    }

    // MARK: Conversions (SBOS938 "Register Details", "Current, Power, Energy, and Charge Calculations")

    /// The signed 20-bit value in bits 23:4 of a 24-bit register.
    public static func signed20(_ raw: UInt32) -> Int32 { Int32(bitPattern: (raw & 0xFF_FFFF) << 8) >> 12 }

    /// A 40-bit two's complement value.
    public static func signed40(_ raw: UInt64) -> Int64 { Int64(bitPattern: (raw & 0xFF_FFFF_FFFF) << 24) >> 24 }

    public static func shuntVolts(_ raw: UInt32, adcRange: ADCRange) -> Double { Double(signed20(raw)) * adcRange.shuntLSB }
    /// VBUS: 20 bits × 195.3125 µV (two's complement, always positive in practice).
    public static func busVolts(_ raw: UInt32) -> Double { Double(signed20(raw)) * busLSB }
    public static func dieCelsius(_ raw: UInt16) -> Double { Double(Int16(bitPattern: raw)) * dieTemperatureLSB }
    public static func amperes(_ raw: UInt32, calibration: Calibration) -> Double { Double(signed20(raw)) * calibration.currentLSB }
    public static func watts(_ raw: UInt32, calibration: Calibration) -> Double { Double(raw & 0xFF_FFFF) * calibration.powerLSB }
    public static func joules(_ raw: UInt64, calibration: Calibration) -> Double { Double(raw & 0xFF_FFFF_FFFF) * calibration.energyLSB }
    public static func coulombs(_ raw: UInt64, calibration: Calibration) -> Double { Double(signed40(raw)) * calibration.chargeLSB }

    public static func convert(_ raw: RawReading, calibration: Calibration) -> PowerReading {
        PowerReading(busVolts: busVolts(raw.bus), shuntVolts: shuntVolts(raw.shunt, adcRange: calibration.adcRange),
                     amperes: amperes(raw.current, calibration: calibration), watts: watts(raw.power, calibration: calibration))
    }
}

extension SensorType {
    /// TI INA228 20-bit power, energy and charge monitor.
    public static let ina228 = SensorType(declaring: "ina228")
}

extension INA228 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .ina228, measures: .power, defaultAddress: defaultAddress, accumulatesEnergy: true) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        try INA228(bus: bus, address: spec.address, shuntOhms: spec.shuntOhms ?? 0, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
    }
}
