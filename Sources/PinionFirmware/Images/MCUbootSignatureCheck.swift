/// Checks an MCUboot image's Ed25519 signature against a set of trusted keys.
///
/// The key is picked as MCUboot picks it: by KEYHASH (the SubjectPublicKeyInfo hashed with the
/// image's hash algorithm), or by a PUBKEY TLV (`imgtool sign --public-key-format full`); with
/// neither, every key is tried.
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
        }
    }
}

extension MCUbootImage {
    /// Signature TLVs of algorithms Pinion does not verify.
    static let otherSignatureTypes: [MCUbootTLVType] = [.rsa2048, .rsa3072, .ecdsaSignature]

    /// The key id the image names: KEYHASH or PUBKEY value, hex.
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
        let signatures = tlvs.filter { $0.type == MCUbootTLVType.ed25519.rawValue }
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
        var candidates = keys
        var keyID: String?
        if let keyHash = tlv(.keyHash) {
            keyID = Hex.bytes(keyHash.value)
            candidates = keys.filter { $0.keyHash(length: keyHash.value.count) == keyHash.value }
        } else if let publicKey = tlv(.publicKey) {
            keyID = Hex.bytes(publicKey.value)
            candidates = keys.filter { $0.subjectPublicKeyInfo == publicKey.value || $0.rawRepresentation == publicKey.value }
        }
        guard let first = candidates.first else {
            return .untrustedKey(keyID: keyID ?? "(the image names no key)")
        }
        let message = isPureSignature ? Array(bytes[hashedRange]) : digest
        for key in candidates {
            for signature in signatures where key.isValidSignature(signature.value, for: message) {
                return .verified(key: key.name)
            }
        }
        // Without a key id, a signature no trusted key verifies may just be someone else's.
        return keyID == nil ? .untrustedKey(keyID: "(the image names no key)") : .invalid(key: first.name)
    }
}
