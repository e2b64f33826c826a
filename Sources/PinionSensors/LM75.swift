import PinionI2C

/// LM75 digital thermometer and thermal watchdog, per National Semiconductor's LM75 datasheet
/// (DS012658, now TI's); NXP's 11-bit LM75A/B have the same register map.
///
/// Registers, selected by a 2-bit pointer: temperature 0x00 (16-bit, high byte first, 9-bit two's
/// complement in bits 15:7, 0.5 °C per count), configuration 0x01 (8-bit: shutdown bit 0,
/// comparator/interrupt bit 1, OS polarity bit 2, fault queue bits 4:3), THYST 0x02 and TOS 0x03
/// (9-bit like the temperature). The LM75 has no identification register.
///
/// Operations: `configure` writes 0x01 (SMBus byte data); `read` reads 0x00 (one SMBus word);
/// `setLimits` writes 0x02 then 0x03.
///
/// Conversion and the kernel's lm75 driver: the temperature is (raw >> (16 − n)) / 2^(n − 8) °C for
/// an n-bit part (n = 9 for an LM75; 11 for the LM75A/B, which the kernel calls lm75b), with an
/// arithmetic shift, so bits below the resolution are dropped toward −∞. The kernel's
/// temp1_input is ((raw >> (16 − n)) × 1000) >> (n − 8) m°C, which is the same value exactly for
/// n ≤ 11 (every step is a whole number of m°C).
public struct LM75: Sensor {
    /// The configuration byte's fields.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Consecutive faults before OS trips: 1, 2, 4 or 6 (bits 4:3).
        public enum FaultQueue: UInt8, Sendable, Hashable, Codable, CaseIterable {
            case one = 0, two, four, six
            public var count: Int { [1, 2, 4, 6][Int(rawValue)] }
        }

        public var shutdown: Bool
        /// OS output as interrupt (true) or comparator (false, power-on).
        public var interruptMode: Bool
        /// OS active high (true) or low (false, power-on).
        public var osActiveHigh: Bool
        public var faultQueue: FaultQueue

        /// The power-on setting, 0x00: running, comparator, OS active low, one fault.
        public static let powerOn = Configuration()

        public init(shutdown: Bool = false, interruptMode: Bool = false, osActiveHigh: Bool = false, faultQueue: FaultQueue = .one) {
            self.shutdown = shutdown
            self.interruptMode = interruptMode
            self.osActiveHigh = osActiveHigh
            self.faultQueue = faultQueue
        }

        public var registerValue: UInt8 {
            (shutdown ? 1 : 0) | (interruptMode ? 2 : 0) | (osActiveHigh ? 4 : 0) | faultQueue.rawValue << 3
        }

        public init(registerValue value: UInt8) {
            shutdown = value & 1 != 0
            interruptMode = value & 2 != 0
            osActiveHigh = value & 4 != 0
            faultQueue = FaultQueue(rawValue: value >> 3 & 0b11)!
        }
    }

    public static let defaultAddress: I2CAddress = 0x48

    public let bus: any I2CBus
    public let address: I2CAddress
    public var configuration: Configuration
    /// Bits of temperature the part reports: 9 for an LM75 (0.5 °C), 11 for an LM75A/B (0.125 °C).
    public let resolutionBits: Int
    public var label: String?

    public init(bus: any I2CBus, address: I2CAddress = LM75.defaultAddress, configuration: Configuration = .powerOn,
                resolutionBits: Int = 9, label: String? = nil) {
        precondition((9...12).contains(resolutionBits), "LM75-family parts report 9 to 12 bits")
        self.bus = bus
        self.address = address
        self.configuration = configuration
        self.resolutionBits = resolutionBits
        self.label = label
    }

    public var source: SensorSource { SensorSource(type: .lm75, bus: bus.name, address: address, label: label) }

    var registers: ChipRegisters { ChipRegisters(bus: bus, address: address, chip: .lm75) }

    /// Writes the configuration byte (0x01).
    public func configure() throws(SensorError) {
        try registers.write8(0x01, configuration.registerValue, "configure")
    }

    public func readConfiguration() throws(SensorError) -> Configuration {
        Configuration(registerValue: try registers.read8(0x01, "read configuration"))
    }

    /// Configure (which also tells whether anything answers at the address).
    public func prepare() throws(SensorError) { try configure() }

    /// Reads the temperature register (0x00).
    public func readRaw() throws(SensorError) -> UInt16 { try registers.read16(0x00, "read temperature") }

    /// The temperature, °C.
    public func readCelsius() throws(SensorError) -> Double { Self.celsius(try readRaw(), resolutionBits: resolutionBits) }

    public func read() throws(SensorError) -> [SensorReading] { [reading(from: try readRaw())] }

    public func sample() throws(SensorError) -> [SensorReading] {
        [SensorReading(source: source, celsius: Self.celsius(try readRaw(), resolutionBits: resolutionBits))]
    }

    public func reading(from raw: UInt16) -> SensorReading {
        SensorReading(source: source, celsius: Self.celsius(raw, resolutionBits: resolutionBits),
                      registers: [SensorReading.registerKey(0x00): UInt64(raw)],
                      hwmon: ["temp1_input": KernelHwmon.lm75Millicelsius(raw, resolution: resolutionBits)])
    }

    /// Reads THYST (0x02) and TOS (0x03), °C.
    public func readLimits() throws(SensorError) -> (hysteresis: Double, overTemperature: Double) {
        (Self.celsius(try registers.read16(0x02, "read THYST"), resolutionBits: 9),
         Self.celsius(try registers.read16(0x03, "read TOS"), resolutionBits: 9))
    }

    /// Writes THYST (0x02) and TOS (0x03), rounded to 0.5 °C and clamped to −55…125 °C.
    public func setLimits(hysteresis: Double, overTemperature: Double) throws(SensorError) {
        try registers.write16(0x02, Self.register(celsius: hysteresis), "set THYST")
        try registers.write16(0x03, Self.register(celsius: overTemperature), "set TOS")
    }

    // MARK: Conversions

    /// Temperature register → °C for an `resolutionBits`-bit part.
    public static func celsius(_ raw: UInt16, resolutionBits: Int = 9) -> Double {
        let counts = Int(Int16(bitPattern: raw) >> (16 - resolutionBits))
        return Double(counts) / Double(1 << (resolutionBits - 8))
    }

    /// A 9-bit register value for `celsius` (THYST, TOS), rounded half away from zero to 0.5 °C.
    public static func register(celsius: Double) -> UInt16 {
        let halves = Int16((min(125, max(-55, celsius)) * 2).rounded())
        return UInt16(bitPattern: halves << 7)
    }
}

extension SensorType {
    /// LM75 digital thermometer.
    public static let lm75 = SensorType(declaring: "lm75")
}

extension LM75 {
    /// The chip's entry in `SensorDrivers`.
    static let driver = SensorDriver(type: .lm75, measures: .temperature, defaultAddress: defaultAddress) {
        (spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor in
        LM75(bus: bus, address: spec.address, label: spec.label)
    }
}
