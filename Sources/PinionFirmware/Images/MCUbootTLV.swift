/// One TLV entry of an MCUboot image: `u16 type, u16 len` (little-endian) then `len` bytes.
///
/// imgtool 2.x writes the standard types as `u8 type, u8 0, u16 len`, which is the same bytes; mcuboot
/// reads `uint16_t it_type`. Entries in the protected area (info magic 0x6908) are covered by the
/// image hash and the signature; entries in the unprotected area (0x6907) are not.
public struct MCUbootTLV: Sendable, Hashable {
    public var type: UInt16
    public var value: [UInt8]
    /// Offset of the value in the file.
    public var offset: Int
    public var isProtected: Bool

    public init(type: UInt16, value: [UInt8], offset: Int = 0, isProtected: Bool = false) {
        self.type = type
        self.value = value
        self.offset = offset
        self.isProtected = isProtected
    }

    /// imgtool's name for the type, or `0x…`.
    public var typeName: String { MCUbootTLVType(rawValue: type).map { "\($0)" } ?? Hex.u16(type) }
}

/// The TLV types Pinion knows (imgtool `TLV_VALUES`).
public enum MCUbootTLVType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case keyHash = 0x01
    case publicKey = 0x02
    case sha256 = 0x10
    case sha384 = 0x11
    case sha512 = 0x12
    case rsa2048 = 0x20
    case ecdsaSignature = 0x22
    case rsa3072 = 0x23
    case ed25519 = 0x24
    case signaturePure = 0x25
    case encRSA2048 = 0x30
    case encKW = 0x31
    case encEC256 = 0x32
    case encX25519 = 0x33
    case encX25519SHA512 = 0x34
    case dependency = 0x40
    case securityCounter = 0x50
    case bootRecord = 0x60

    /// imgtool's spelling.
    public var description: String {
        switch self {
        case .keyHash: "KEYHASH"
        case .publicKey: "PUBKEY"
        case .sha256: "SHA256"
        case .sha384: "SHA384"
        case .sha512: "SHA512"
        case .rsa2048: "RSA2048"
        case .ecdsaSignature: "ECDSASIG"
        case .rsa3072: "RSA3072"
        case .ed25519: "ED25519"
        case .signaturePure: "SIG_PURE"
        case .encRSA2048: "ENCRSA2048"
        case .encKW: "ENCKW"
        case .encEC256: "ENCEC256"
        case .encX25519: "ENCX25519"
        case .encX25519SHA512: "ENCX25519_SHA512"
        case .dependency: "DEPENDENCY"
        case .securityCounter: "SEC_CNT"
        case .bootRecord: "BOOT_RECORD"
        }
    }
}

/// The TLV area magics (mcuboot `IMAGE_TLV_INFO_MAGIC`, `IMAGE_TLV_PROT_INFO_MAGIC`).
enum MCUbootTLVArea {
    static let unprotectedMagic: UInt16 = 0x6907
    static let protectedMagic: UInt16 = 0x6908
    static let infoLength = 4
    static let entryHeaderLength = 4

    /// Reads the area that starts at `start`: its info header, then entries up to its total length.
    static func parse(_ reader: ByteReader, at start: Int, protected: Bool) throws(FirmwareImageError) -> (tlvs: [MCUbootTLV], end: Int) {
        let section = protected ? "MCUboot protected TLV area" : "MCUboot TLV area"
        let expected = protected ? protectedMagic : unprotectedMagic
        let magic = try reader.u16(start, "the TLV info magic", in: section)
        guard magic == expected else {
            let hint = !protected && magic == protectedMagic
                ? "; the header's protect_tlv_size is 0 but a protected area is present" : ""
            throw reader.error(.malformed, section, at: start, "TLV info magic is \(Hex.u16(magic)), expected \(Hex.u16(expected))\(hint)")
        }
        let total = Int(try reader.u16(start + 2, "the TLV area length", in: section))
        guard total >= infoLength else {
            throw reader.error(.malformed, section, at: start + 2, "the TLV area length is \(total), less than its own \(infoLength)-byte info header")
        }
        try reader.need(start, total, "the TLV area (\(total) bytes)", section)
        let end = start + total
        var tlvs: [MCUbootTLV] = []
        var offset = start + infoLength
        while offset < end {
            guard end - offset >= entryHeaderLength else {
                throw reader.error(.malformed, section, at: offset, "\(end - offset) stray bytes at the end of the TLV area, too few for a TLV header")
            }
            let type = try reader.u16(offset, "a TLV type", in: section)
            let length = Int(try reader.u16(offset + 2, "a TLV length", in: section))
            let valueStart = offset + entryHeaderLength
            guard length <= end - valueStart else {
                throw reader.error(.malformed, section, at: offset,
                                   "TLV \(MCUbootTLV(type: type, value: []).typeName) claims \(length) bytes, only \(end - valueStart) are left in the area")
            }
            let value = Array(try reader.slice(valueStart, length, "a TLV value", in: section))
            tlvs.append(MCUbootTLV(type: type, value: value, offset: valueStart, isProtected: protected))
            offset = valueStart + length
        }
        return (tlvs, end)
    }

    static func encode(_ tlvs: [MCUbootTLV], protected: Bool) -> [UInt8] {
        var body: [UInt8] = []
        for tlv in tlvs {
            body.appendLE(tlv.type)
            body.appendLE(UInt16(truncatingIfNeeded: tlv.value.count))
            body += tlv.value
        }
        var out: [UInt8] = []
        out.appendLE(protected ? protectedMagic : unprotectedMagic)
        out.appendLE(UInt16(truncatingIfNeeded: infoLength + body.count))
        return out + body
    }
}
