import PinionI2C

/// Which sensor a reading came from: chip, bus, address, INA3221 channel and the label a board
/// descriptor or the gateway configuration gave it.
public struct SensorSource: Sendable, Hashable, Codable, CustomStringConvertible {
    public var type: SensorType
    /// The bus's name, `i2c-1`.
    public var bus: String
    public var address: I2CAddress
    /// INA3221 channel 1–3; nil for single-channel chips.
    public var channel: Int?
    public var label: String?

    public init(type: SensorType, bus: String, address: I2CAddress, channel: Int? = nil, label: String? = nil) {
        self.type = type
        self.bus = bus
        self.address = address
        self.channel = channel
        self.label = label
    }

    /// `ina3221 i2c-1 0x42 ch2 "NPU rail"`.
    public var description: String {
        var text = "\(type.rawValue) \(bus) \(address)"
        if let channel { text += " ch\(channel)" }
        if let label { text += " \"\(label)\"" }
        return text
    }
}

/// One reading of one sensor (one INA3221 channel), in SI units, ready to print or encode as
/// JSON (`pinion sensors --json`).
///
/// Power monitors fill `power`; thermometers fill `celsius`; the INA228 also fills `celsius` (its
/// die temperature), `energyJoules` and `chargeCoulombs` from its hardware accumulators.
/// `registers` holds the raw register values the reading was computed from, keyed `0x01`, and
/// `hwmon` what the Linux kernel's hwmon driver prints for those same register contents
/// (see `KernelHwmon`), keyed by sysfs file name — the values a lab check compares.
public struct SensorReading: Sendable, Hashable, Codable, CustomStringConvertible {
    public var source: SensorSource
    public var power: PowerReading?
    /// Temperature in °C (thermometers; the INA228's die).
    public var celsius: Double?
    /// INA228 ENERGY accumulator since its last reset, joules.
    public var energyJoules: Double?
    /// INA228 CHARGE accumulator since its last reset, coulombs (signed).
    public var chargeCoulombs: Double?
    /// The chip reports that a conversion completed since the flag was last cleared (INA219 CNVR).
    public var conversionReady: Bool?
    /// The chip reports a math overflow: current or power is out of range and not to be trusted
    /// (INA219 OVF). Nil when the reading did not include the flag.
    public var overflow: Bool?
    /// Register values the reading was computed from, `"0x01": 8000`. Measurement registers are as
    /// read; calibration registers (INA219/INA226 0x05, INA228 0x02) are the value the driver
    /// programmed, which `read` does not read back.
    public var registers: [String: UInt64]
    /// What the kernel's hwmon driver would print for these register contents: `"in0_input": 20`.
    public var hwmon: [String: Int64]?

    public init(source: SensorSource, power: PowerReading? = nil, celsius: Double? = nil, energyJoules: Double? = nil,
                chargeCoulombs: Double? = nil, conversionReady: Bool? = nil, overflow: Bool? = nil,
                registers: [String: UInt64] = [:], hwmon: [String: Int64]? = nil) {
        self.source = source
        self.power = power
        self.celsius = celsius
        self.energyJoules = energyJoules
        self.chargeCoulombs = chargeCoulombs
        self.conversionReady = conversionReady
        self.overflow = overflow
        self.registers = registers
        self.hwmon = hwmon
    }

    /// The key `registers` uses for a register: `0x01`.
    public static func registerKey(_ register: UInt8) -> String { "0x" + hex2(register) }

    /// One line: `ina226 i2c-1 0x40 "board input": 11.980 V  10.000 A  119.800 W  (shunt 20.000 mV)`.
    public var description: String {
        var parts: [String] = []
        if let power {
            parts.append(fixed(power.busVolts, 3) + " V")
            parts.append(fixed(power.amperes, 3) + " A")
            parts.append(fixed(power.watts, 3) + " W")
            parts.append("(shunt " + fixed(power.shuntVolts * 1000, 3) + " mV)")
        }
        if let celsius { parts.append(fixed(celsius, 4) + " °C") }
        if let energyJoules { parts.append(fixed(energyJoules, 3) + " J") }
        if let chargeCoulombs { parts.append(fixed(chargeCoulombs, 3) + " C") }
        if overflow == true { parts.append("OVERFLOW: current and power out of range") }
        return "\(source): " + parts.joined(separator: "  ")
    }
}

/// `value` with `places` decimals, rounded half away from zero, without Foundation.
func fixed(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 1e15 else { return "\(value)" }
    let integer = Int64(scaled)
    var digits = String(integer)
    if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
    let split = digits.index(digits.endIndex, offsetBy: -places)
    let text = places == 0 ? digits : digits[..<split] + "." + digits[split...]
    return (value < 0 && integer != 0 ? "-" : "") + text
}
