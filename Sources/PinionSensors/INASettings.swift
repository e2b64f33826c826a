// Settings the INA226 (SBOS547), INA3221 (SBOS576) and INA219 (SBOS448) code the same way in
// their configuration registers, and the TI identification registers.

/// Samples averaged per reported value: the AVG field of the INA226 and INA3221 configuration
/// registers (bits 11:9) and of the INA228's ADC_CONFIG (bits 2:0). Raw values are the field's code.
public enum INAAveraging: UInt16, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case x1 = 0, x4, x16, x64, x128, x256, x512, x1024

    /// How many samples are averaged.
    public var samples: Int { [1, 4, 16, 64, 128, 256, 512, 1024][Int(rawValue)] }

    /// The setting for exactly `samples`, or nil when the chips have no such setting.
    public init?(samples: Int) {
        guard let match = Self.allCases.first(where: { $0.samples == samples }) else { return nil }
        self = match
    }

    public var description: String { "\(samples)×" }
}

/// Conversion time of one shunt or bus measurement on the INA226 and INA3221 (VBUSCT, VSHCT:
/// 3-bit fields). Raw values are the field's code.
public enum INAConversionTime: UInt16, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case us140 = 0, us204, us332, us588, us1100, us2116, us4156, us8244

    public var microseconds: Int { [140, 204, 332, 588, 1100, 2116, 4156, 8244][Int(rawValue)] }

    /// The setting for exactly `microseconds`, or nil.
    public init?(microseconds: Int) {
        guard let match = Self.allCases.first(where: { $0.microseconds == microseconds }) else { return nil }
        self = match
    }

    public var description: String { "\(microseconds) µs" }
}

/// The 3-bit operating mode of the INA219, INA226 and INA3221 (MODE, bits 2:0). Codes 0b000 and
/// 0b100 are both power-down on the INA226/INA3221 (0b100 is "ADC off" on the INA219); Pinion
/// writes 0b000 for `.powerDown` and reads either as `.powerDown`.
public enum INAMode: UInt16, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case powerDown = 0b000
    case shuntTriggered = 0b001
    case busTriggered = 0b010
    case shuntAndBusTriggered = 0b011
    case shuntContinuous = 0b101
    case busContinuous = 0b110
    case shuntAndBusContinuous = 0b111

    init(field: UInt16) { self = INAMode(rawValue: field & 0b111) ?? .powerDown }

    public var description: String {
        switch self {
        case .powerDown: "power-down"
        case .shuntTriggered: "shunt, triggered"
        case .busTriggered: "bus, triggered"
        case .shuntAndBusTriggered: "shunt and bus, triggered"
        case .shuntContinuous: "shunt, continuous"
        case .busContinuous: "bus, continuous"
        case .shuntAndBusContinuous: "shunt and bus, continuous"
        }
    }
}

/// What a TI chip's identification registers say: manufacturer ID (0x5449, "TI") and device or
/// die ID (`0x2260` INA226, `0x3220` INA3221, `0x2281` INA228 — ID bits 15:4, revision 3:0).
public struct TIIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// "TI" in ASCII.
    public static let texasInstruments: UInt16 = 0x5449

    public var manufacturerID: UInt16
    public var deviceID: UInt16

    public init(manufacturerID: UInt16, deviceID: UInt16) {
        self.manufacturerID = manufacturerID
        self.deviceID = deviceID
    }

    /// Device ID without the revision nibble (`0x226` for an INA226).
    public var dieID: UInt16 { deviceID >> 4 }
    /// The revision nibble.
    public var revision: UInt16 { deviceID & 0x000F }

    /// The chip these registers name, when Pinion knows it.
    public var chipName: String? {
        guard manufacturerID == Self.texasInstruments else { return nil }
        switch dieID {
        case 0x226: return "INA226"
        case 0x322: return "INA3221"
        case 0x228: return "INA228"
        case 0x238: return "INA238"
        default: return nil
        }
    }

    public var description: String {
        let maker = manufacturerID == Self.texasInstruments ? " (TI)" : ""
        let name = chipName.map { " is an \($0)" } ?? " is no chip Pinion knows"
        return "manufacturer ID 0x\(hex4(manufacturerID))\(maker), device ID 0x\(hex4(deviceID))\(name)"
    }
}

/// Four lower-case hex digits.
func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 4 - digits.count) + digits
}

/// Two lower-case hex digits.
func hex2(_ value: UInt8) -> String {
    let digits = String(value, radix: 16)
    return digits.count == 1 ? "0" + digits : digits
}
