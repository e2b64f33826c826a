import PinionI2C

/// TI INA3221 three-channel shunt and bus voltage monitor, per its datasheet (SBOS576).
///
/// Registers (16-bit, high byte first): configuration 0x00 (channel enables bits 14:12 for
/// channels 1–3, averaging 11:9, bus and shunt conversion times 8:6 and 5:3, mode 2:0; POR
/// 0x7127); per channel n shunt voltage at 2n−1 and bus voltage at 2n, both 13-bit two's
/// complement in bits 15:3 (shunt 40 µV, bus 8 mV); mask/enable 0x0F; manufacturer ID 0xFE
/// (0x5449) and die ID 0xFF (0x3220). The chip has no current or power registers: current is
/// computed here as shunt voltage / R per channel, power as bus voltage × current.
///
/// Operations: `identify` reads 0xFE, 0xFF; `configure` writes 0x00; `read` reads, per enabled
/// channel in order, the shunt then the bus register (channel 1: 0x01, 0x02; 2: 0x03, 0x04; …).
///
/// Conversions and the kernel's ina3221 driver: bus = field × 8 mV and shunt = field × 40 µV,
/// exact in both (the kernel prints in1–in3 in mV and in4–in6, the shunts, in µV);
/// current = shunt / R as a `Double` here, curr`n`_input = DIV_ROUND_CLOSEST(field × 40 000 nV,
/// R µΩ) mA there, i.e. Pinion's value rounded to whole mA half away from zero. The kernel has no
/// power attribute for this chip.
public struct INA3221: Sensor {
    /// One input: its channel number, shunt resistance and label.
    public struct Channel: Sendable, Hashable, Codable {
        /// 1–3.
        public var number: Int
        public var shuntOhms: Double
        public var label: String?

        public init(number: Int, shuntOhms: Double, label: String? = nil) {
            self.number = number
            self.shuntOhms = shuntOhms
            self.label = label
        }

        /// Shunt voltage register of this channel: 0x01, 0x03, 0x05.
        public var shuntRegister: UInt8 { UInt8(2 * number - 1) }
        /// Bus voltage register of this channel: 0x02, 0x04, 0x06.
        public var busRegister: UInt8 { UInt8(2 * number) }
    }

    /// The configuration register's fields.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Channels measured (1–3).
        public var enabledChannels: Set<Int>
        public var averaging: INAAveraging
        public var busConversionTime: INAConversionTime
        public var shuntConversionTime: INAConversionTime
        public var mode: INAMode

        /// The power-on setting, 0x7127: all channels, no averaging, 1.1 ms, shunt and bus continuous.
        public static let powerOn = Configuration(enabledChannels: [1, 2, 3])

        public init(enabledChannels: Set<Int>, averaging: INAAveraging = .x1, busConversionTime: INAConversionTime = .us1100,
                    shuntConversionTime: INAConversionTime = .us1100, mode: INAMode = .shuntAndBusContinuous) {
            self.enabledChannels = enabledChannels
            self.averaging = averaging
            self.busConversionTime = busConversionTime
            self.shuntConversionTime = shuntConversionTime
            self.mode = mode
        }

        public var registerValue: UInt16 {
            var value = averaging.rawValue << 9 | busConversionTime.rawValue << 6 | shuntConversionTime.rawValue << 3 | mode.rawValue
            for channel in enabledChannels where (1...3).contains(channel) { value |= 0x8000 >> UInt16(channel) }
            return value
        }

        public init(registerValue value: UInt16) {
            enabledChannels = Set((1...3).filter { value & (0x8000 >> UInt16($0)) != 0 })
            averaging = INAAveraging(rawValue: value >> 9 & 0b111)!
            busConversionTime = INAConversionTime(rawValue: value >> 6 & 0b111)!
            shuntConversionTime = INAConversionTime(rawValue: value >> 3 & 0b111)!
            mode = INAMode(field: value)
        }
    }

    /// Register contents of one channel's reading.
    public struct RawReading: Sendable, Hashable {
        public var shunt: UInt16
        public var bus: UInt16

        public init(shunt: UInt16, bus: UInt16) {
            self.shunt = shunt
            self.bus = bus
        }
    }

    public static let shuntLSB = 40e-6
    public static let busLSB = 8e-3
    public static let defaultAddress: I2CAddress = 0x40
    public static let manufacturerIDRegister: UInt8 = 0xFE
    public static let dieIDRegister: UInt8 = 0xFF

    public let bus: any I2CBus
    public let address: I2CAddress
    /// The channels read, in order.
    public var channels: [Channel]
    /// Averaging, conversion times and mode; the enabled channels are `channels`.
    public var averaging: INAAveraging
    public var busConversionTime: INAConversionTime
    public var shuntConversionTime: INAConversionTime
    public var mode: INAMode

    /// A driver for the chip at `address` reading `channels` (1–3, each with its shunt).
    public init(bus: any I2CBus, address: I2CAddress = INA3221.defaultAddress, channels: [Channel],
                averaging: INAAveraging = .x1, busConversionTime: INAConversionTime = .us1100,
                shuntConversionTime: INAConversionTime = .us1100, mode: INAMode = .shuntAndBusContinuous) throws(SensorError) {
        self.bus = bus
        self.address = address
        self.channels = channels.sorted { $0.number < $1.number }
        self.averaging = averaging
        self.busConversionTime = busConversionTime
        self.shuntConversionTime = shuntConversionTime
        self.mode = mode
        let numbers = channels.map(\.number)
        guard !channels.isEmpty, numbers.allSatisfy({ (1...3).contains($0) }), Set(numbers).count == numbers.count else {
            throw registers.error(.invalidConfiguration("INA3221 channels must be distinct numbers 1 to 3, got \(numbers)"), "configure")
        }
        for channel in channels {
            do throws(CalibrationError) {
                try CalibrationMath.checkPositive(channel.shuntOhms, "channel \(channel.number) shunt resistance", "ohms")
            } catch {
                throw registers.error(.invalidConfiguration(error.message), "configure")
            }
        }
    }

    /// The source of the chip as a whole (readings carry their channel).
    public var source: SensorSource { SensorSource(type: .ina3221, bus: bus.name, address: address) }

    /// The configuration `configure` writes: the driver's channels enabled, the others off.
    public var configuration: Configuration {
        Configuration(enabledChannels: Set(channels.map(\.number)), averaging: averaging, busConversionTime: busConversionTime,
                      shuntConversionTime: shuntConversionTime, mode: mode)
    }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .ina3221) }

    /// Reads 0xFE and 0xFF; throws `.wrongChip` unless they say INA3221 (0x5449, die 0x322).
    @discardableResult
    public func identify() throws(SensorError) -> TIIdentity {
        try registers.identifyTI(manufacturerRegister: Self.manufacturerIDRegister, deviceRegister: Self.dieIDRegister, dieID: 0x322)
    }

    /// Writes the configuration register (0x00).
    public func configure() throws(SensorError) {
        try registers.write16(0x00, configuration.registerValue, "configure")
    }

    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(registerValue: try registers.read16(0x00, "read configuration"))
    }

    /// Sets the reset bit (0x00 bit 15).
    public func reset() throws(SensorError) {
        try registers.write16(0x00, 0x8000, "reset")
    }

    /// Identify, configure.
    public func prepare() throws(SensorError) {
        try identify()
        try configure()
    }

    /// Reads one channel's shunt and bus registers.
    public func readRaw(_ channel: Channel) throws(SensorError) -> RawReading {
        RawReading(shunt: try registers.read16(channel.shuntRegister, "read channel \(channel.number) shunt voltage"),
                   bus: try registers.read16(channel.busRegister, "read channel \(channel.number) bus voltage"))
    }

    public func read() throws(SensorError) -> [SensorReading] {
        var readings: [SensorReading] = []
        for channel in channels { readings.append(reading(from: try readRaw(channel), channel: channel)) }
        return readings
    }

    public func sample() throws(SensorError) -> [SensorReading] {
        var readings: [SensorReading] = []
        for channel in channels { readings.append(reading(from: try readRaw(channel), channel: channel, views: false)) }
        return readings
    }

    /// The reading of one channel, with (`views`) the raw values and the kernel's view of them.
    public func reading(from raw: RawReading, channel: Channel, views: Bool = true) -> SensorReading {
        let source = SensorSource(type: .ina3221, bus: bus.name, address: address, channel: channel.number, label: channel.label)
        let power = Self.convert(raw, shuntOhms: channel.shuntOhms)
        guard views else { return SensorReading(source: source, power: power) }
        let key = SensorReading.registerKey
        return SensorReading(
            source: source,
            power: power,
            registers: [key(channel.shuntRegister): UInt64(raw.shunt), key(channel.busRegister): UInt64(raw.bus)],
            hwmon: KernelHwmon.ina3221(channel: channel.number, shuntMicroohms: KernelHwmon.microohms(channel.shuntOhms),
                                       shunt: raw.shunt, bus: raw.bus))
    }

    // MARK: Conversions (SBOS576 "Register Descriptions")

    /// Shunt voltage register → volts: bits 15:3, signed, × 40 µV.
    public static func shuntVolts(_ raw: UInt16) -> Double { Double(Int16(bitPattern: raw) >> 3) * shuntLSB }
    /// Bus voltage register → volts: bits 15:3, signed, × 8 mV.
    public static func busVolts(_ raw: UInt16) -> Double { Double(Int16(bitPattern: raw) >> 3) * busLSB }

    public static func convert(_ raw: RawReading, shuntOhms: Double) -> PowerReading {
        let shunt = shuntVolts(raw.shunt)
        let busVoltage = busVolts(raw.bus)
        let current = shunt / shuntOhms
        return PowerReading(busVolts: busVoltage, shuntVolts: shunt, amperes: current, watts: busVoltage * current)
    }
}

extension SensorType {
    /// TI INA3221 three-channel shunt and bus voltage monitor.
    public static let ina3221 = SensorType(declaring: "ina3221")
}

extension INA3221 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .ina3221, measures: .power, defaultAddress: defaultAddress, channels: 1...3) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        try INA3221(bus: bus, address: spec.address,
                    channels: (spec.channel.map { [$0] } ?? [1, 2, 3]).map { INA3221.Channel(number: $0, shuntOhms: spec.shuntOhms ?? 0, label: spec.label) })
    }
}
