/// A firmware version as USB's bcdDevice carries it: major and minor as two BCD digits each
/// (0x0103 is 1.03). Boards report their version this way, so the emulated boards and
/// `pinion-board` read it from the images they take and format it for HELLO with these.
public enum BCDVersion {
    /// The version an image carries: from its MCUboot header (version major and minor at bytes
    /// 20 and 21), else nil. Only the version is read; the image readers check the rest.
    public static func of(image: [UInt8]) -> UInt16? {
        guard image.count >= MCUbootHeader.length, MCUbootHeader.hasMagic(image) else { return nil }
        return make(major: image[20], minor: image[21])
    }

    /// `1.3` → 0x0103; nil for anything that is not two numbers below 100.
    public static func parse(_ text: String) -> UInt16? {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let major = UInt8(parts[0]), let minor = UInt8(parts[1]), major < 100, minor < 100 else { return nil }
        return make(major: major, minor: minor)
    }

    /// `1.03` for 0x0103.
    public static func string(_ bcd: UInt16) -> String {
        "\(Int(bcd >> 12) * 10 + Int(bcd >> 8 & 0xF)).\(Int(bcd >> 4 & 0xF))\(Int(bcd & 0xF))"
    }

    private static func make(major: UInt8, minor: UInt8) -> UInt16 {
        func bcd(_ value: UInt8) -> UInt16 { UInt16(value / 10 % 10) << 4 | UInt16(value % 10) }
        return bcd(major) << 8 | bcd(minor)
    }
}
