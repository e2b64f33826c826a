import PinionI2C

/// TI INA226 current/power monitor, per its datasheet (SBOS547).
///
/// Registers (16-bit, high byte first): configuration 0x00, shunt voltage 0x01 (signed, 2.5 µV),
/// bus voltage 0x02 (1.25 mV), power 0x03 (25 × current LSB), current 0x04 (signed × current
/// LSB), calibration 0x05 (bits 14:0), mask/enable 0x06, alert limit 0x07, manufacturer ID 0xFE
/// (0x5449) and die ID 0xFF (0x2260). Calibration is CAL = trunc(0.00512 / (current_LSB × R)),
/// current_LSB = maximum expected current / 2¹⁵ (datasheet equations 1 and 2).
///
/// Operations and the transfers they make (each a single SMBus word transfer):
/// `identify` reads 0xFE, 0xFF; `configure` writes 0x00; `calibrate` writes 0x05; `read` reads
/// 0x01, 0x02, 0x03, 0x04 in that order, and 0x05 only when current and power read 0 under a
/// non-zero shunt voltage (a reset chip; see `readRaw`). The reads are separate transactions:
/// with short conversion times an update can fall between them.
///
/// Conversions, and how they compare with the kernel's ina2xx hwmon driver (6.1):
/// - shunt = raw × 2.5 µV, exactly. ina2xx prints in0_input in whole mV, DIV_ROUND_CLOSEST(raw, 400):
///   half a mV rounds away from zero (raw 200 → 1 mV; Pinion 0.5 mV).
/// - bus = raw × 1.25 mV, exactly; in1_input is DIV_ROUND_CLOSEST(raw × 1250, 1000) mV.
/// - current = raw × current_LSB, where Pinion's current_LSB is the one the programmed integer
///   calibration gives, 0.00512 / (CAL × R) (the datasheet's nominal LSB differs from it by the
///   truncation of CAL, less than 1/CAL relative). ina2xx always writes CAL = 2048 and uses
///   current_LSB = DIV_ROUND_CLOSEST(2 500 000, R µΩ) µA; Pinion with CAL = 2048 has
///   2 500 000 / R µA unrounded, so the two agree exactly when that is a whole number (10 mΩ →
///   250 µA, 2 mΩ → 1250 µA). curr1_input is then DIV_ROUND_CLOSEST(raw × LSB µA, 1000) mA:
///   Pinion's value rounded to whole mA, half away from zero.
/// - power = raw × 25 × current_LSB; power1_input is raw × 25 × LSB µA in µW, exact, no rounding.
public struct INA226: Sensor {
    /// Register addresses (SBOS547 table "Register Set Summary").
    public enum Register: UInt8, Sendable, CaseIterable {
        case configuration = 0x00, shuntVoltage = 0x01, busVoltage = 0x02, power = 0x03, current = 0x04
        case calibration = 0x05, maskEnable = 0x06, alertLimit = 0x07, manufacturerID = 0xFE, dieID = 0xFF
    }

    /// The configuration register's fields: averaging (bits 11:9), bus and shunt conversion
    /// times (8:6, 5:3), mode (2:0). Bits 14:12 always read 100; bit 15 resets the chip.
    public struct Configuration: Sendable, Hashable, Codable {
        public var averaging: INAAveraging
        public var busConversionTime: INAConversionTime
        public var shuntConversionTime: INAConversionTime
        public var mode: INAMode

        /// Seconds from one result to the next: bus and shunt conversions (in the continuous
        /// modes both), times the samples averaged.
        public var conversionPeriod: Double {
            Double(busConversionTime.microseconds + shuntConversionTime.microseconds) * 1e-6 * Double(averaging.samples)
        }

        /// The most samples averaged whose conversion period still fits in `period`; never fewer
        /// than this configuration's own.
        public func averaging(fitting period: Double) -> INAAveraging {
            INAAveraging.allCases.last { candidate in
                var trial = self
                trial.averaging = candidate
                return candidate.samples <= averaging.samples || trial.conversionPeriod <= period
            } ?? averaging
        }

        /// The power-on setting, 0x4127: no averaging, 1.1 ms conversions, shunt and bus continuous.
        public static let powerOn = Configuration(averaging: .x1, busConversionTime: .us1100, shuntConversionTime: .us1100,
                                                  mode: .shuntAndBusContinuous)

        public init(averaging: INAAveraging = .x1, busConversionTime: INAConversionTime = .us1100,
                    shuntConversionTime: INAConversionTime = .us1100, mode: INAMode = .shuntAndBusContinuous) {
            self.averaging = averaging
            self.busConversionTime = busConversionTime
            self.shuntConversionTime = shuntConversionTime
            self.mode = mode
        }

        /// The register value, with bits 14:12 = 100 as the chip reads them back.
        public var registerValue: UInt16 {
            0x4000 | averaging.rawValue << 9 | busConversionTime.rawValue << 6 | shuntConversionTime.rawValue << 3 | mode.rawValue
        }

        public init(registerValue value: UInt16) {
            averaging = INAAveraging(rawValue: value >> 9 & 0b111)!
            busConversionTime = INAConversionTime(rawValue: value >> 6 & 0b111)!
            shuntConversionTime = INAConversionTime(rawValue: value >> 3 & 0b111)!
            mode = INAMode(field: value)
        }

        /// How long one complete result takes: (bus + shunt conversion) × averages, in µs.
        public var updateMicroseconds: Int {
            (busConversionTime.microseconds + shuntConversionTime.microseconds) * averaging.samples
        }
    }

    /// A shunt resistance and the calibration register value programmed for it.
    public struct Calibration: Sendable, Hashable, Codable {
        public var shuntOhms: Double
        /// The CAL register value (1…32767).
        public var registerValue: UInt16
        /// The current LSB asked for (maximum current / 2¹⁵, or given), amperes per count.
        public var nominalCurrentLSB: Double

        /// CAL for a maximum expected current: current_LSB = max / 2¹⁵, CAL = trunc(0.00512 / (current_LSB × R)).
        public init(shuntOhms: Double, maxCurrentAmperes: Double) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(maxCurrentAmperes, "maximum current", "amperes")
            try self.init(shuntOhms: shuntOhms, currentLSB: maxCurrentAmperes / 32768)
        }

        /// CAL for a chosen current LSB (the datasheet suggests a round value above max / 2¹⁵).
        public init(shuntOhms: Double, currentLSB: Double) throws(CalibrationError) {
            try CalibrationMath.checkPositive(shuntOhms, "shunt resistance", "ohms")
            try CalibrationMath.checkPositive(currentLSB, "current LSB", "amperes")
            let value = CalibrationMath.datasheetTrunc(0.00512 / (currentLSB * shuntOhms))
            let register = try CalibrationMath.register(value, max: 0x7FFF, formula: "0.00512 / (\(currentLSB) A × \(shuntOhms) Ω)")
            self.init(shuntOhms: shuntOhms, registerValue: UInt16(register), nominalCurrentLSB: currentLSB)
        }

        /// A calibration already in the chip (written by firmware, or by the kernel's ina2xx,
        /// which writes 2048): the LSB follows from it.
        public init(shuntOhms: Double, registerValue: UInt16) {
            self.shuntOhms = shuntOhms
            self.registerValue = registerValue
            self.nominalCurrentLSB = registerValue == 0 ? 0 : 0.00512 / (Double(registerValue) * shuntOhms)
        }

        init(shuntOhms: Double, registerValue: UInt16, nominalCurrentLSB: Double) {
            self.shuntOhms = shuntOhms
            self.registerValue = registerValue
            self.nominalCurrentLSB = nominalCurrentLSB
        }

        /// The current LSB the chip actually works with: 0.00512 / (CAL × R), amperes per count.
        public var currentLSB: Double { registerValue == 0 ? 0 : 0.00512 / (Double(registerValue) * shuntOhms) }
        /// 25 × current LSB, watts per count.
        public var powerLSB: Double { 25 * currentLSB }
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
    }

    /// Shunt voltage LSB, volts.
    public static let shuntLSB = 2.5e-6
    /// Bus voltage LSB, volts.
    public static let busLSB = 1.25e-3
    /// The default address (A1 = A0 = GND).
    public static let defaultAddress: I2CAddress = 0x40

    public let bus: any I2CBus
    public let address: I2CAddress
    public var calibration: Calibration
    public var configuration: Configuration
    public var label: String?

    /// A driver for the chip at `address` with a calibration and configuration to program.
    public init(bus: any I2CBus, address: I2CAddress = INA226.defaultAddress, calibration: Calibration,
                configuration: Configuration = .powerOn, label: String? = nil) {
        self.bus = bus
        self.address = address
        self.calibration = calibration
        self.configuration = configuration
        self.label = label
    }

    /// A driver calibrated for `shuntOhms` and `maxCurrentAmperes` (default: the current that
    /// fills the 81.92 mV shunt range, 81.92 mV / R).
    public init(bus: any I2CBus, address: I2CAddress = INA226.defaultAddress, shuntOhms: Double, maxCurrentAmperes: Double? = nil,
                configuration: Configuration = .powerOn, label: String? = nil) throws(SensorError) {
        do throws(CalibrationError) {
            let calibration = try Calibration(shuntOhms: shuntOhms, maxCurrentAmperes: maxCurrentAmperes ?? 0.08192 / shuntOhms)
            self.init(bus: bus, address: address, calibration: calibration, configuration: configuration, label: label)
        } catch {
            throw SensorError(.invalidConfiguration(error.message), chip: .ina226, bus: bus.name, address: address, operation: "calibrate")
        }
    }

    public var source: SensorSource { SensorSource(type: .ina226, bus: bus.name, address: address, label: label) }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .ina226) }

    /// Reads 0xFE and 0xFF; throws `.wrongChip` unless they say INA226 (0x5449, die 0x226).
    @discardableResult
    public func identify() throws(SensorError) -> TIIdentity {
        try registers.identifyTI(manufacturerRegister: Register.manufacturerID.rawValue, deviceRegister: Register.dieID.rawValue, dieID: 0x226)
    }

    /// Writes the configuration register (0x00).
    public func configure() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, configuration.registerValue, "configure")
    }

    /// Reads the configuration register back.
    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(registerValue: try registers.read16(Register.configuration.rawValue, "read configuration"))
    }

    /// Writes the calibration register (0x05).
    public func calibrate() throws(SensorError) {
        try registers.write16(Register.calibration.rawValue, calibration.registerValue, "calibrate")
    }

    /// Reads the calibration register (0x05) and returns the calibration it means for `shuntOhms`
    /// (to read a chip another party configured, such as the kernel's ina2xx).
    public func readCalibration(shuntOhms: Double) throws(SensorError) -> Calibration {
        Calibration(shuntOhms: shuntOhms, registerValue: try registers.read16(Register.calibration.rawValue, "read calibration"))
    }

    /// Sets the reset bit (0x00 bit 15): every register returns to its power-on value.
    public func reset() throws(SensorError) {
        try registers.write16(Register.configuration.rawValue, 0x8000, "reset")
    }

    /// Identify, configure, calibrate.
    public func prepare() throws(SensorError) {
        try identify()
        try configure()
        try calibrate()
    }

    /// Read every `period` seconds, the chip averages as many conversions as fit in the period
    /// (at the power-on 1.1 ms bus and shunt conversions and 100 Hz: 4, 8.8 ms of each 10 ms),
    /// so a reading stands for the interval before it. At power-on settings a reading is one
    /// 2.2 ms conversion, 22 % of the interval, and an energy integrated from such readings
    /// depends on when in a changing load each read falls.
    public func forSampling(every period: Double) -> any Sensor {
        var sampled = self
        sampled.configuration.averaging = configuration.averaging(fitting: period)
        return sampled
    }

    /// Reads 0x01, 0x02, 0x03, 0x04. When current and power read 0 although the shunt voltage
    /// does not, also reads 0x05 and throws `.lostCalibration` if it is 0 (the chip was reset: the
    /// kernel's ina2xx makes the same check and re-initialises).
    public func readRaw() throws(SensorError) -> RawReading {
        let data = try registers.readINAData(calibration: calibration.registerValue)
        return RawReading(shunt: data.shunt, bus: data.bus, power: data.power, current: data.current)
    }

    /// One reading in SI units.
    public func readPower() throws(SensorError) -> PowerReading {
        Self.convert(try readRaw(), calibration: calibration)
    }

    public func read() throws(SensorError) -> [SensorReading] {
        [reading(from: try readRaw())]
    }

    public func sample() throws(SensorError) -> [SensorReading] {
        [reading(from: try readRaw(), views: false)]
    }

    /// The reading for register contents, with (`views`) the raw values and the kernel's view of them.
    public func reading(from raw: RawReading, views: Bool = true) -> SensorReading {
        let power = Self.convert(raw, calibration: calibration)
        guard views else { return SensorReading(source: source, power: power) }
        let key = SensorReading.registerKey
        return SensorReading(
            source: source, power: power,
            registers: [key(0x01): UInt64(raw.shunt), key(0x02): UInt64(raw.bus), key(0x03): UInt64(raw.power),
                        key(0x04): UInt64(raw.current), key(0x05): UInt64(calibration.registerValue)],
            hwmon: KernelHwmon.ina2xx(.ina226, shuntMicroohms: KernelHwmon.microohms(calibration.shuntOhms),
                                      shunt: raw.shunt, bus: raw.bus, power: raw.power, current: raw.current))
    }

    // MARK: Conversions (SBOS547 "Register Details")

    /// Shunt voltage register → volts (signed, 2.5 µV).
    public static func shuntVolts(_ raw: UInt16) -> Double { Double(Int16(bitPattern: raw)) * shuntLSB }
    /// Bus voltage register → volts (1.25 mV).
    public static func busVolts(_ raw: UInt16) -> Double { Double(raw) * busLSB }
    /// Current register → amperes (signed × current LSB).
    public static func amperes(_ raw: UInt16, calibration: Calibration) -> Double {
        Double(Int16(bitPattern: raw)) * calibration.currentLSB
    }
    /// Power register → watts (× 25 × current LSB).
    public static func watts(_ raw: UInt16, calibration: Calibration) -> Double { Double(raw) * calibration.powerLSB }

    public static func convert(_ raw: RawReading, calibration: Calibration) -> PowerReading {
        PowerReading(busVolts: busVolts(raw.bus), shuntVolts: shuntVolts(raw.shunt),
                     amperes: amperes(raw.current, calibration: calibration), watts: watts(raw.power, calibration: calibration))
    }
}

extension SensorType {
    /// TI INA226 current/power monitor.
    public static let ina226 = SensorType(declaring: "ina226")
}

extension INA226 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .ina226, measures: .power, defaultAddress: defaultAddress) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        try INA226(bus: bus, address: spec.address, shuntOhms: spec.shuntOhms ?? 0, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
    }
}
