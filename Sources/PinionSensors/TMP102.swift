import PinionI2C

/// TI TMP102 digital thermometer, per its datasheet (SBOS397).
///
/// Registers (16-bit, high byte first), selected by a 2-bit pointer: temperature 0x00 — 12-bit
/// two's complement in bits 15:4 at 0.0625 °C, or in extended mode (configuration EM bit) 13-bit
/// in bits 15:3 with bit 0 set to 1 to say so; configuration 0x01 (OS 15, R1/R0 14:13 read-only,
/// fault queue F1/F0 12:11, POL 10, TM 9, SD 8, conversion rate CR1/CR0 7:6, AL 5 read-only, EM 4;
/// POR 0x60A0); T_LOW 0x02 and T_HIGH 0x03 in the temperature's format. No identification register.
///
/// Operations: `configure` writes 0x01; `read` reads 0x00.
///
/// Conversion: the format is read from bit 0 of each temperature value (datasheet: "bit 0 …
/// indicates extended mode"), so a reading is right even if another party changed EM:
/// 13-bit → (raw >> 3) × 0.0625 °C, 12-bit → (raw >> 4) × 0.0625 °C, exact.
/// The kernel's tmp102 driver forces extended mode at probe and prints
/// ((raw & ~1) × 1000) / 128 m°C, with C's division toward zero: the same as Pinion for whole
/// multiples of 0.125 °C, and Pinion's 62.5 m°C steps truncated toward zero otherwise
/// (0.0625 °C → 62 m°C, −0.0625 °C → −62 m°C). Readings carry that kernel value (`hwmon`) only
/// for extended-mode register contents, the only format the kernel reads.
public struct TMP102: Sensor {
    /// Conversions per second (CR1/CR0, bits 7:6).
    public enum ConversionRate: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case hz0_25 = 0, hz1, hz4, hz8
        public var hertz: Double { [0.25, 1, 4, 8][Int(rawValue)] }
    }

    /// Consecutive faults before the alert trips (F1/F0, bits 12:11): 1, 2, 4, 6.
    public enum FaultQueue: UInt16, Sendable, Hashable, Codable, CaseIterable {
        case one = 0, two, four, six
    }

    /// The writable fields of the configuration register.
    public struct Configuration: Sendable, Hashable, Codable {
        /// EM: 13-bit temperatures up to 150 °C (false: 12-bit, up to 128 °C).
        public var extendedMode: Bool
        public var conversionRate: ConversionRate
        public var shutdown: Bool
        /// TM: interrupt (true) or comparator (false) mode.
        public var interruptMode: Bool
        /// POL: alert active high.
        public var alertActiveHigh: Bool
        public var faultQueue: FaultQueue

        /// The power-on setting (0x60A0 with the read-only bits): 12-bit, 4 Hz, comparator.
        public static let powerOn = Configuration()

        public init(extendedMode: Bool = false, conversionRate: ConversionRate = .hz4, shutdown: Bool = false,
                    interruptMode: Bool = false, alertActiveHigh: Bool = false, faultQueue: FaultQueue = .one) {
            self.extendedMode = extendedMode
            self.conversionRate = conversionRate
            self.shutdown = shutdown
            self.interruptMode = interruptMode
            self.alertActiveHigh = alertActiveHigh
            self.faultQueue = faultQueue
        }

        /// The value written; R1/R0 (0x6000) and AL (0x0020) are read-only and written as the
        /// chip reads them back at power-on, so a write of `.powerOn` is 0x60A0.
        public var registerValue: UInt16 {
            0x6000 | faultQueue.rawValue << 11 | (alertActiveHigh ? 0x0400 : 0) | (interruptMode ? 0x0200 : 0)
                | (shutdown ? 0x0100 : 0) | conversionRate.rawValue << 6 | 0x0020 | (extendedMode ? 0x0010 : 0)
        }

        public init(registerValue value: UInt16) {
            extendedMode = value & 0x0010 != 0
            conversionRate = ConversionRate(rawValue: value >> 6 & 0b11)!
            shutdown = value & 0x0100 != 0
            interruptMode = value & 0x0200 != 0
            alertActiveHigh = value & 0x0400 != 0
            faultQueue = FaultQueue(rawValue: value >> 11 & 0b11)!
        }
    }

    public static let defaultAddress: I2CAddress = 0x48

    public let bus: any I2CBus
    public let address: I2CAddress
    public var configuration: Configuration
    public var label: String?

    public init(bus: any I2CBus, address: I2CAddress = TMP102.defaultAddress, configuration: Configuration = .powerOn, label: String? = nil) {
        self.bus = bus
        self.address = address
        self.configuration = configuration
        self.label = label
    }

    public var source: SensorSource { SensorSource(type: .tmp102, bus: bus.name, address: address, label: label) }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .tmp102) }

    /// Writes the configuration register (0x01).
    public func configure() throws(SensorError) {
        try registers.write16(0x01, configuration.registerValue, "configure")
    }

    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(registerValue: try registers.read16(0x01, "read configuration"))
    }

    /// Configure.
    public func prepare() throws(SensorError) { try configure() }

    /// Reads the temperature register (0x00).
    public func readRaw() throws(SensorError) -> UInt16 { try registers.read16(0x00, "read temperature") }

    public func readCelsius() throws(SensorError) -> Double { Self.celsius(try readRaw()) }

    public func read() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw())] }

    public func sample() throws(SensorError) -> [SensorReading] { [SensorReading(source: source, celsius: Self.celsius(try readRaw()))] }

    public func reading(from raw: UInt16) -> SensorReading {
        SensorReading(source: source, celsius: Self.celsius(raw), registers: [SensorReading.registerKey(0x00): UInt64(raw)],
                      hwmon: raw & 1 == 1 ? ["temp1_input": KernelHwmon.tmp102Millicelsius(raw)] : nil)
    }

    // MARK: Conversions (SBOS397 "Temperature Register")

    /// Temperature register → °C, in the format bit 0 announces.
    public static func celsius(_ raw: UInt16) -> Double {
        let value = Int16(bitPattern: raw)
        let counts = raw & 1 == 1 ? value >> 3 : value >> 4
        return Double(counts) * 0.0625
    }
}

extension SensorType {
    /// TI TMP102 digital thermometer.
    public static let tmp102 = SensorType(declaring: "tmp102")
}

extension TMP102 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .tmp102, measures: .temperature, defaultAddress: defaultAddress) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        TMP102(bus: bus, address: spec.address, label: spec.label)
    }
}
