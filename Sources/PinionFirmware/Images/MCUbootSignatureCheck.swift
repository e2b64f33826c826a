/// Checks an MCUboot image's Ed25519 signature against a set of trusted keys, by MCUboot's rule
/// (bootutil `bootutil_img_validate`): the TLVs are walked in order, protected area first; a key
/// TLV — KEYHASH (the SubjectPublicKeyInfo hashed with the image's hash algorithm) or PUBKEY
/// (`imgtool sign --public-key-format full`) — names the key for the next ED25519 TLV only, and a
/// signature with no recognised key before it is ignored. The image is signed by a trusted key
/// when any key/signature pair verifies.
public enum MCUbootSignatureStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Signed by this trusted key, and the signature verifies.
    case verified(key: String)
    /// The signature names a trusted key but does not verify: the image was altered or forged.
    case invalid(key: String)
    /// Signed (Ed25519) by a key that is not trusted; `keyID` is the KEYHASH or public key in hex.
    case untrustedKey(keyID: String)
    /// No signature TLV at all.
    case unsigned
    /// Signed with an algorithm Pinion does not verify (RSA, ECDSA).
    case unsupportedAlgorithm(String)
    /// The signature was not checked because the hash is wrong or missing.
    case notChecked(reason: String)
    /// Ed25519 signatures, none preceded by a KEYHASH or PUBKEY TLV: MCUboot ignores them, so it
    /// would not boot the image.
    case noKeyBeforeSignature

    public var isVerified: Bool { if case .verified = self { true } else { false } }

    /// One line for people: `signed by trusted key "vendor"`, `unsigned`, ….
    public var description: String {
        switch self {
        case .verified(let key): "signed by trusted key \"\(OneLine.clean(key))\""
        case .invalid(let key): "INVALID signature (names trusted key \"\(OneLine.clean(key))\")"
        case .untrustedKey(let keyID): "signed by an untrusted key (key id \(keyID))"
        case .unsigned: "unsigned"
        case .unsupportedAlgorithm(let algorithm): "signed with \(algorithm) (not verified by Pinion)"
        case .notChecked(let reason): "signature not checked: \(reason)"
        case .noKeyBeforeSignature: "signed, but no KEYHASH or PUBKEY TLV names the key before the signature (MCUboot would not boot it)"
        }
    }
}

extension MCUbootImage {
    /// Signature TLVs of algorithms Pinion does not verify.
    static let otherSignatureTypes: [MCUbootTLVType] = [.rsa2048, .rsa3072, .ecdsaSignature]

    /// The key id the image names first: KEYHASH or PUBKEY value, hex.
    public var signerKeyID: String? {
        (tlv(.keyHash) ?? tlv(.publicKey)).map { Hex.bytes($0.value) }
    }

    /// True when the image carries any signature TLV.
    public var isSigned: Bool {
        tlv(.ed25519) != nil || MCUbootImage.otherSignatureTypes.contains { tlv($0) != nil }
    }

    /// Checks hash, then the Ed25519 signature against `keys`.
    public func verifySignature(with keys: [FirmwarePublicKey]) -> MCUbootSignatureStatus {
        let hash = hashCheck
        let signatures = (protectedTLVs + tlvs).filter { $0.type == MCUbootTLVType.ed25519.rawValue }
        if signatures.isEmpty {
            if let other = MCUbootImage.otherSignatureTypes.first(where: { tlv($0) != nil }) {
                return .unsupportedAlgorithm(other.description)
            }
            return .unsigned
        }
        let digest: [UInt8]
        switch hash {
        case .valid(_, let value): digest = value
        case .mismatch: return .notChecked(reason: "the image hash does not match")
        case .missing: return .notChecked(reason: "the image has no hash TLV")
        case .unverifiable(_, let reason): return .notChecked(reason: reason)
        }
        let message = isPureSignature ? Array(bytes[hashedRange]) : digest
        // The key the last key TLV named (its id, and the trusted keys it matches), for the next signature only.
        var named: (id: String, keys: [FirmwarePublicKey])?
        var failedTrusted: String?
        var untrusted: String?
        for tlv in protectedTLVs + tlvs {
            switch MCUbootTLVType(rawValue: tlv.type) {
            case .keyHash:
                named = (Hex.bytes(tlv.value), keys.filter { $0.keyHash(length: tlv.value.count) == tlv.value })
            case .publicKey:
                named = (Hex.bytes(tlv.value), keys.filter { $0.subjectPublicKeyInfo == tlv.value || $0.rawRepresentation == tlv.value })
            case .ed25519:
                defer { named = nil }
                guard let key = named else { continue }
                guard let first = key.keys.first else {
                    untrusted = untrusted ?? key.id
                    continue
                }
                if let signer = key.keys.first(where: { $0.isValidSignature(tlv.value, for: message) }) {
                    return .verified(key: signer.name)
                }
                failedTrusted = failedTrusted ?? first.name
            default:
                continue
            }
        }
        if let failedTrusted { return .invalid(key: failedTrusted) }
        if let untrusted { return .untrustedKey(keyID: untrusted) }
        return .noKeyBeforeSignature
    }
}
