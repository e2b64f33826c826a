/// A USB vendor/product id pair, written `vvvv:pppp` in lower-case hex as `lsusb` prints it.
public struct USBID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// idVendor from the device descriptor.
    public var vendor: UInt16
    /// idProduct from the device descriptor.
    public var product: UInt16

    public init(vendor: UInt16, product: UInt16) {
        self.vendor = vendor
        self.product = product
    }

    /// Parses `vvvv:pppp` (four hex digits each, case-insensitive); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let vendor = USBID.hex16(parts[0]),
              let product = USBID.hex16(parts[1]) else { return nil }
        self.init(vendor: vendor, product: product)
    }

    /// Parses exactly four hex digits, as idVendor and idProduct are written in catalogues and udev rules.
    public static func hex16<S: StringProtocol>(_ text: S) -> UInt16? {
        guard text.count == 4, text.allSatisfy(\.isHexDigit) else { return nil }
        return UInt16(text, radix: 16)
    }

    public var description: String { "\(USBID.hex4(vendor)):\(USBID.hex4(product))" }

    /// Four lower-case hex digits, zero-padded.
    public static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    public static func < (lhs: USBID, rhs: USBID) -> Bool {
        (lhs.vendor, lhs.product) < (rhs.vendor, rhs.product)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = USBID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a vvvv:pppp USB id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
