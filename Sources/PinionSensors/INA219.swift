import PinionI2C

/// TI INA219 current/power monitor, per its datasheet (SBOS448).
///
/// Registers (16-bit, high byte first): configuration 0x00, shunt voltage 0x01 (signed, 10 µV),
/// bus voltage 0x02 (bits 15:3 × 4 mV; bit 1 CNVR conversion ready, bit 0 OVF math overflow),
/// power 0x03 (20 × current LSB), current 0x04 (signed × current LSB), calibration 0x05 (bits
/// 15:1; bit 0 always reads 0). No identification registers: the INA219 has none, so `prepare`
/// cannot tell an INA219 from another chip at the address.
/// Calibration is CAL = trunc(0.04096 / (current_LSB × R)), current_LSB = maximum expected
/// current / 2¹⁵, power LSB = 20 × current_LSB (datasheet section 8.5.1, equations 1–3).
///
/// Operations: `configure` writes 0x00; `calibrate` writes 0x05; `read` reads 0x01, 0x02, 0x03,
/// 0x04 in that order (reading 0x03 clears CNVR), and 0x05 only when current and power read 0
/// under a non-zero shunt voltage (a reset chip; see `readRaw`).
///
/// Conversions and the kernel's ina2xx driver (6.1), which writes CAL = 4096 and uses
/// current_LSB = DIV_ROUND_CLOSEST(10 000 000, R µΩ) µA:
/// - shunt = raw × 10 µV, exactly; in0_input = DIV_ROUND_CLOSEST(raw, 100) mV (half away from zero).
/// - bus = (raw >> 3) × 4 mV, exactly; in1_input the same in mV (exact, 4 mV steps).
/// - current = raw × current_LSB with current_LSB = 0.04096 / (CAL × R) from the programmed CAL
///   (bit 0 cleared, as the chip ignores it); curr1_input rounds raw × LSB µA to whole mA.
/// - power = raw × 20 × current_LSB; power1_input = raw × 20 × LSB µA (µW, exact).
public struct INA219: Sensor {
    /// Register addresses (SBOS448 table "Summary of Register Set").
    public enum Register: UInt8, Sendable, CaseIterable {
        case configuration = 0x00, shuntVoltage = 0x01, busVoltage = 0x02, power = 0x03, current = 0x04, calibration = 0x05
    }

    /// Bus voltage range (BRNG, bit 13).
    public enum BusRange: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case volts16 = 0, volts32 = 1
        public var fullScaleVolts: Double { self == .volts16 ? 16 : 32 }
    }

    /// Shunt PGA gain and range (PG, bits 12:11): /1 ±40 mV, /2 ±80 mV, /4 ±160 mV, /8 ±320 mV.
    public enum Gain: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case divideBy1 = 0, divideBy2, divideBy4, divideBy8
        public var fullScaleVolts: Double { [0.04, 0.08, 0.16, 0.32][Int(rawValue)] }
    }

    /// ADC resolution or averaging (BADC bits 10:7, SADC bits 6:3): 9–12-bit single samples, or
    /// 2–128 averaged 12-bit samples. Raw values are the 4-bit field codes.
    public enum ADCSetting: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case bits9 = 0b0000, bits10 = 0b0001, bits11 = 0b0010, bits12 = 0b0011
        case samples2 = 0b1001, samples4 = 0b1010, samples8 = 0b1011, samples16 = 0b1100
        case samples32 = 0b1101, samples64 = 0b1110, samples128 = 0b1111

        /// Reads a field; codes 0b01xx alias the single-sample settings and 0b1000 is 12-bit.
        init(field: UInt16) {
            let code = field & 0b1111
            if code & 0b1000 == 0 { self = ADCSetting(rawValue: code & 0b0011)! }
            else { self = ADCSetting(rawValue: code) ?? .bits12 }
        }

        /// Conversion time per result, µs (datasheet table "ADC Settings").
        public var conversionMicroseconds: Int {
            switch self {
            case .bits9: 84
            case .bits10: 148
            case .bits11: 276
            case .bits12: 532
            case .samples2: 1060
            case .samples4: 2130
            case .samples8: 4260
            case .samples16: 8510
            case .samples32: 17020
            case .samples64: 34050
            case .samples128: 68100
            }
        }
    }

    /// The configuration register's fields.
    public struct Configuration: Sendable, Hashable, Codable {
        public var busRange: BusRange
        public var gain: Gain
        public var busADC: ADCSetting
        public var shuntADC: ADCSetting
        public var mode: INAMode

        /// The power-on setting, 0x399F: 32 V, /8, 12-bit, shunt and bus continuous.
        public static let powerOn = Configuration()

        public init(busRange: BusRange = .volts32, gain: Gain = .divideBy8, busADC: ADCSetting = .bits12,
                    shuntADC: ADCSetting = .bits12, mode: INAMode = .shuntAndBusContinuous) {
            self.busRange = busRange
            self.gain = gain
            self.busADC = busADC
            self.shuntADC = shuntADC
            self.mode = mode
        }

        public var registerValue: UInt16 {
            busRange.rawValue << 13 | gain.rawValue << 11 | busADC.rawValue << 7 | shuntADC.rawValue << 3 | mode.rawValue
        }

        public init(registerValue value: UInt16) {
            busRange = BusRange(rawValue: value >> 13 & 1)!
            gain = Gain(rawValue: value >> 11 & 0b11)!
            busADC = ADCSetting(field: value >> 7)
            shuntADC = ADCSetting(field: value >> 3)
            mode = INAMode(field: value)
        }
    }

    /// A shunt resistance and the calibration register value programmed for it.
    public struct Calibration: Sendable, Hashable, Codable {
        public var shuntOhms: Double
        /// The CAL register value, even (bit 0 is not implemented).
        public var registerValue: UInt16
        /// The current LSB asked for, amperes per count.
        public var nominalCurrentLSB: Double

        /// CAL for a maximum expected current: current_LSB = max / 2¹⁵, CAL = trunc(0.04096 / (current_LSB × R)).
        public init(shuntOhms: Double, maxCurrentAmperes: Double) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(maxCurrentAmperes, "maximum current", "amperes")
            try self.init(shuntOhms: shuntOhms, currentLSB: maxCurrentAmperes / 32768)
        }

        /// CAL for a chosen current LSB (the datasheet's example picks 100 µA for 2 A on 0.1 Ω).
        public init(shuntOhms: Double, currentLSB: Double) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(currentLSB, "current LSB", "amperes")
            let value = CalibrationMath.datasheetTrunc(0.04096 / (currentLSB * shuntOhms))
            let register = try CalibrationMath.register(value, max: 0xFFFE, formula: "0.04096 / (\(currentLSB) A × \(shuntOhms) Ω)")
            guard register >= 2 else { throw CalibrationError("calibration 0.04096 / (\(currentLSB) A × \(shuntOhms) Ω) = 1 leaves 0 once bit 0 (not implemented) is dropped: lower the maximum current") }
            self.shuntOhms = shuntOhms
            self.registerValue = UInt16(register) & 0xFFFE
            self.nominalCurrentLSB = currentLSB
        }

        /// A calibration already in the chip.
        public init(shuntOhms: Double, registerValue: UInt16) {
            self.shuntOhms = shuntOhms
            self.registerValue = registerValue & 0xFFFE
            self.nominalCurrentLSB = self.registerValue == 0 ? 0 : 0.04096 / (Double(self.registerValue) * shuntOhms)
        }

        /// The current LSB the chip works with: 0.04096 / (CAL × R), amperes per count.
        public var currentLSB: Double { registerValue == 0 ? 0 : 0.04096 / (Double(registerValue) * shuntOhms) }
        /// 20 × current LSB, watts per count.
        public var powerLSB: Double { 20 * currentLSB }
    }

    /// Register contents of one reading.
    public struct RawReading: Sendable, Hashable {
        public var shunt: UInt16
        public var bus: UInt16
        public var power: UInt16
        public var current: UInt16

        public init(shunt: UInt16, bus: UInt16, power: UInt16, current: UInt16) {
            self.shunt = shunt
            self.bus = bus
            self.power = power
            self.current = current
        }

        /// CNVR: a conversion completed since power was last read.
        public var conversionReady: Bool { bus & 0x0002 != 0 }
        /// OVF: the power or current calculation overflowed.
        public var overflow: Bool { bus & 0x0001 != 0 }
    }

    public static let shuntLSB = 10e-6
    public static let busLSB = 4e-3
    public static let defaultAddress: I2CAddress = 0x40

    public let bus: any I2CBus
    public let address: I2CAddress
    public var calibration: Calibration
    public var configuration: Configuration
    public var label: String?

    public init(bus: any I2CBus, address: I2CAddress = INA219.defaultAddress, calibration: Calibration,
                configuration: Configuration = .powerOn, label: String? = nil) {
        self.bus = bus
        self.address = address
        self.calibration = calibration
        self.configuration = configuration
        self.label = label
    }

    /// A driver calibrated for `shuntOhms` and `maxCurrentAmperes` (default: the current that
    /// fills the configured PGA range, e.g. 320 mV / R at /8).
    public init(bus: any I2CBus, address: I2CAddress = INA219.defaultAddress, shuntOhms: Double, maxCurrentAmperes: Double? = nil,
                configuration: Configuration = .powerOn, label: String? = nil) throws(SensorError) {
        do throws(CalibrationError) {
            let maximum = maxCurrentAmperes ?? configuration.gain.fullScaleVolts / shuntOhms
            let calibration = try Calibration(shuntOhms: shuntOhms, maxCurrentAmperes: maximum)
            self.init(bus: bus, address: address, calibration: calibration, configuration: configuration, label: label)
        } catch {
            throw SensorError(.invalidConfiguration(error.message), chip: .ina219, bus: bus.name, address: address, operation: "calibrate")
        }
    }

    public var source: SensorSource { SensorSource(type: .ina219, bus: bus.name, address: address, label: label) }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .ina219) }

    /// Writes the configuration register (0x00).
    public func configure() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, configuration.registerValue, "configure")
    }

    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(registerValue: try registers.read16(Register.configuration.rawValue, "read configuration"))
    }

    /// Writes the calibration register (0x05).
    public func calibrate() throws(SensorError) {
        try registers.write16(Register.calibration.rawValue, calibration.registerValue, "calibrate")
    }

    /// Reads the calibration register and returns what it means for `shuntOhms`.
    public func readCalibration(shuntOhms: Double) throws(SensorError) -> Calibration {
        Calibration(shuntOhms: shuntOhms, registerValue: try registers.read16(Register.calibration.rawValue, "read calibration"))
    }

    /// Sets the reset bit (0x00 bit 15).
    public func reset() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, 0x8000, "reset")
    }

    /// Configure, calibrate. (No identification: the chip has no ID registers.)
    public func prepare() throws(SensorError) {
        try configure()
        try calibrate()
    }

    /// Reads 0x01, 0x02, 0x03, 0x04. When current and power read 0 although the shunt voltage
    /// does not, also reads 0x05 and throws `.lostCalibration` if it is 0 (the chip was reset: the
    /// kernel's ina2xx makes the same check and re-initialises).
    public func readRaw() throws(SensorError) -> RawReading {
        let data = try registers.readINAData(calibration: calibration.registerValue)
        return RawReading(shunt: data.shunt, bus: data.bus, power: data.power, current: data.current)
    }

    public func readPower() throws(SensorError) -> PowerReading { Self.convert(try readRaw(), calibration: calibration) }

    public func read() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw())] }

    public func sample() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw(), views: false)] }

    /// The reading for register contents, with (`views`) the raw values and the kernel's view of them.
    public func reading(from raw: RawReading, views: Bool = true) -> SensorReading {
        let power = Self.convert(raw, calibration: calibration)
        guard views else {
            return SensorReading(source: source, power: power, conversionReady: raw.conversionReady, overflow: raw.overflow)
        }
        let key = SensorReading.registerKey
        return SensorReading(
            source: source, power: power,
            conversionReady: raw.conversionReady, overflow: raw.overflow,
            registers: [key(0x01): UInt64(raw.shunt), key(0x02): UInt64(raw.bus), key(0x03): UInt64(raw.power),
                        key(0x04): UInt64(raw.current), key(0x05): UInt64(calibration.registerValue)],
            hwmon: KernelHwmon.ina2xx(.ina219, shuntMicroohms: KernelHwmon.microohms(calibration.shuntOhms),
                                      shunt: raw.shunt, bus: raw.bus, power: raw.power, current: raw.current))
    }

    // MARK: Conversions (SBOS448 "Data Output Registers")

    /// Shunt voltage register → volts (signed, 10 µV; the chip sign-extends for every PGA range).
    public static func shuntVolts(_ raw: UInt16) -> Double { Double(Int16(bitPattern: raw)) * shuntLSB }
    /// Bus voltage register → volts: bits 15:3 × 4 mV.
    public static func busVolts(_ raw: UInt16) -> Double { Double(raw >> 3) * busLSB }
    public static func amperes(_ raw: UInt16, calibration: Calibration) -> Double {
        Double(Int16(bitPattern: raw)) * calibration.currentLSB
    }
    public static func watts(_ raw: UInt16, calibration: Calibration) -> Double { Double(raw) * calibration.powerLSB }

    public static func convert(_ raw: RawReading, calibration: Calibration) -> PowerReading {
        PowerReading(busVolts: busVolts(raw.bus), shuntVolts: shuntVolts(raw.shunt),
                     amperes: amperes(raw.current, calibration: calibration), watts: watts(raw.power, calibration: calibration))
    }
}

extension SensorType {
    /// TI INA219 current/power monitor.
    public static let ina219 = SensorType(declaring: "ina219")
}

extension INA219 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .ina219, measures: .power, defaultAddress: defaultAddress) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        try INA219(bus: bus, address: spec.address, shuntOhms: spec.shuntOhms ?? 0, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
    }
}
