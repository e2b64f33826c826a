/// A 7-bit I2C target address, 0x00–0x7F. Prints as i2c-tools does: `0x48`.
///
/// Ten-bit addressing is not supported: none of Pinion's chips use it.
public struct I2CAddress: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt8

    /// The address, or nil when `rawValue` does not fit in 7 bits.
    public init?(rawValue: UInt8) {
        guard rawValue <= 0x7F else { return nil }
        self.rawValue = rawValue
    }

    /// The address, or nil when `value` is outside 0x00–0x7F.
    public init?(exactly value: some BinaryInteger) {
        guard let byte = UInt8(exactly: value) else { return nil }
        self.init(rawValue: byte)
    }

    /// Parses `0x48` or `48`: hexadecimal, as i2cget and i2cdetect print addresses.
    public init?(parsing text: String) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 2, let value = UInt8(digits, radix: 16) else { return nil }
        self.init(rawValue: value)
    }

    /// The lowest and highest addresses i2cdetect probes by default (0x08–0x77).
    public static let defaultScanRange: ClosedRange<I2CAddress> = 0x08...0x77

    /// Every 7-bit address.
    public static let all: [I2CAddress] = (UInt8(0)...0x7F).map { I2CAddress(integerLiteral: $0) }

    public var description: String { "0x" + hex2(rawValue) }

    public static func < (lhs: I2CAddress, rhs: I2CAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(UInt8.self)
        guard let address = I2CAddress(rawValue: value) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "I2C address \(value) is not a 7-bit address")
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension I2CAddress: ExpressibleByIntegerLiteral {
    /// A literal address; traps when it does not fit in 7 bits (a programming error).
    public init(integerLiteral value: UInt8) {
        precondition(value <= 0x7F, "I2C address \(value) does not fit in 7 bits")
        self.rawValue = value
    }
}

/// Two lower-case hex digits, as `%02x` prints them.
func hex2(_ value: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(value >> 4)], digits[Int(value & 0x0F)]])
}
