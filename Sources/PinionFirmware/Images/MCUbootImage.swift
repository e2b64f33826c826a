import Crypto

/// An MCUboot image (mcuboot docs/design.md, imgtool 2.x): header, payload, an optional protected
/// TLV area, then the TLV area with the hash, key id and signature. Bytes after the TLV area (the
/// slot padding and trailer `imgtool sign --pad` adds) are kept and ignored.
///
/// The image hash covers header, payload and protected TLVs: bytes `0 ..< headerSize + imageSize +
/// protectedTLVSize`. imgtool's Ed25519 signature is over that SHA-256 digest (32 bytes), not over
/// the image, unless the image carries SIG_PURE (`imgtool sign --pure`), where it is over the
/// hashed bytes themselves.
public struct MCUbootImage: Sendable, Hashable {
    public let header: MCUbootHeader
    /// The whole image as given: what is written to the board's slot.
    public let bytes: [UInt8]
    /// TLVs of the protected area (covered by hash and signature).
    public let protectedTLVs: [MCUbootTLV]
    /// TLVs of the unprotected area (hash, key id, signature).
    public let tlvs: [MCUbootTLV]
    /// End of the TLV area; bytes after it are padding or the slot trailer.
    public let tlvEnd: Int

    /// True when the file starts with the MCUboot magic.
    public static func hasMagic(_ file: [UInt8]) -> Bool { MCUbootHeader.hasMagic(file) }

    /// Parses and bounds-checks an image. It does not check hash or signature: see `hashCheck` and `verifySignature(with:)`.
    public static func parse(_ file: [UInt8], name: String) throws(FirmwareImageError) -> MCUbootImage {
        let reader = ByteReader(bytes: file, file: name)
        let header = try MCUbootHeader.parse(reader)
        let payloadStart = Int(header.headerSize)
        let payloadEnd = payloadStart + Int(header.imageSize)
        guard payloadEnd <= file.count else {
            throw reader.error(.truncated, "MCUboot header", at: 12,
                               "hdr_size \(header.headerSize) + img_size \(header.imageSize) = \(payloadEnd) bytes, the file has \(file.count)")
        }
        var protectedTLVs: [MCUbootTLV] = []
        var offset = payloadEnd
        if header.protectedTLVSize > 0 {
            let area = try MCUbootTLVArea.parse(reader, at: offset, protected: true)
            guard area.end - offset == Int(header.protectedTLVSize) else {
                throw reader.error(.malformed, "MCUboot protected TLV area", at: offset + 2,
                                   "the area is \(area.end - offset) bytes, the header's protect_tlv_size says \(header.protectedTLVSize)")
            }
            protectedTLVs = area.tlvs
            offset = area.end
        }
        guard offset < file.count else {
            throw reader.error(.truncated, "MCUboot TLV area", at: offset, "the file ends where the TLV area (hash and signature) should start")
        }
        let area = try MCUbootTLVArea.parse(reader, at: offset, protected: false)
        return MCUbootImage(header: header, bytes: file, protectedTLVs: protectedTLVs, tlvs: area.tlvs, tlvEnd: area.end)
    }

    /// The bytes the hash covers: header, payload and protected TLV area.
    public var hashedRange: Range<Int> { 0..<(Int(header.headerSize) + Int(header.imageSize) + Int(header.protectedTLVSize)) }

    /// The payload (application) bytes.
    public var payload: ArraySlice<UInt8> {
        bytes[Int(header.headerSize)..<(Int(header.headerSize) + Int(header.imageSize))]
    }

    /// SEC_CNT from the protected area (a counter in the unprotected area is not trusted and is ignored).
    public var securityCounter: UInt32? {
        guard let tlv = protectedTLVs.first(where: { $0.type == MCUbootTLVType.securityCounter.rawValue }),
              tlv.value.count == 4 else { return nil }
        return UInt32(tlv.value[0]) | UInt32(tlv.value[1]) << 8 | UInt32(tlv.value[2]) << 16 | UInt32(tlv.value[3]) << 24
    }

    /// The first unprotected TLV of `type`.
    public func tlv(_ type: MCUbootTLVType) -> MCUbootTLV? { tlvs.first { $0.type == type.rawValue } }

    /// True when the image carries SIG_PURE: its signature is over the hashed bytes, not their digest.
    public var isPureSignature: Bool { tlv(.signaturePure) != nil }

    /// Recomputes the image hash and compares it with the hash TLV.
    public var hashCheck: MCUbootHashCheck {
        let candidates: [MCUbootTLVType] = [.sha256, .sha384, .sha512]
        guard let tlv = tlvs.first(where: { candidates.contains(MCUbootTLVType(rawValue: $0.type) ?? .keyHash) }),
              let kind = MCUbootTLVType(rawValue: tlv.type) else {
            return .missing
        }
        if header.flags.isEncrypted {
            return .unverifiable(algorithm: kind.description, reason: "the payload is encrypted; only the board can check its hash")
        }
        let region = bytes[hashedRange]
        let computed: [UInt8] = switch kind {
        case .sha384: Array(SHA384.hash(data: region))
        case .sha512: Array(SHA512.hash(data: region))
        default: Array(SHA256.hash(data: region))
        }
        return computed == tlv.value
            ? .valid(algorithm: kind.description, digest: computed)
            : .mismatch(algorithm: kind.description, stored: tlv.value, computed: computed)
    }
}

/// The outcome of recomputing an MCUboot image's hash.
public enum MCUbootHashCheck: Sendable, Hashable {
    /// The hash TLV matches the image.
    case valid(algorithm: String, digest: [UInt8])
    /// The image was changed after it was hashed (or is damaged).
    case mismatch(algorithm: String, stored: [UInt8], computed: [UInt8])
    /// The image has no SHA256/384/512 TLV.
    case missing
    /// The hash cannot be checked here (encrypted payload).
    case unverifiable(algorithm: String, reason: String)

    public var isValid: Bool { if case .valid = self { true } else { false } }
}
