/// What Pinion requires of an image before flashing it, and the two overrides a technician may pass.
///
/// Rules, in order:
/// 1. Integrity: an MCUboot image's hash must match, and a signature that names a trusted key must
///    verify. No flag overrides this: the file is damaged or was altered.
/// 2. Trust: the image must be signed by a key of the trust store. Unsigned images (raw, DFU,
///    DfuSe, MCUboot without signature) and images signed by an unknown key or with an algorithm
///    Pinion does not verify are refused unless `allowUnsigned` (`--allow-unsigned`).
/// 3. No downgrade: the image's version and security counter must not be lower than the board's
///    current ones, when both are known; refused unless `allowDowngrade` (`--allow-downgrade`).
///    Only Pinion's check is skipped: a board whose bootloader enforces rollback protection still
///    refuses a lower security counter.
public struct FirmwarePolicy: Sendable, Hashable, Codable {
    public var allowUnsigned: Bool
    public var allowDowngrade: Bool

    public init(allowUnsigned: Bool = false, allowDowngrade: Bool = false) {
        self.allowUnsigned = allowUnsigned
        self.allowDowngrade = allowDowngrade
    }

    /// Applies the rules; returns the verdict or throws the first rule that fails.
    public func evaluate(_ image: FirmwareImage, trustStore: FirmwareTrustStore,
                         installed: InstalledFirmware? = nil) throws(FirmwarePolicyError) -> FirmwareVerdict {
        var verdict = FirmwareVerdict(signature: .unsigned, signer: nil, version: image.version,
                                      securityCounter: image.securityCounter, overrides: [])
        func refuse(_ rule: FirmwarePolicyError.Rule, _ reason: String) -> FirmwarePolicyError {
            FirmwarePolicyError(rule: rule, file: image.name, reason: reason)
        }

        if let mcuboot = image.mcuboot {
            switch mcuboot.hashCheck {
            case .mismatch(let algorithm, let stored, let computed):
                throw refuse(.integrity, "the \(algorithm) image hash does not match (image says \(Hex.bytes(stored.prefix(8)))…, contents give \(Hex.bytes(computed.prefix(8)))…): the file is damaged or was altered after signing")
            case .missing where mcuboot.isSigned:
                throw refuse(.integrity, "the image is signed but has no hash TLV")
            default:
                break
            }
        }
        let status = image.signatureStatus(trustStore: trustStore)
        verdict.signature = status
        switch status {
        case .verified(let key):
            verdict.signer = key
        case .invalid(let key):
            throw refuse(.integrity, "the signature names trusted key \"\(key)\" but does not verify: the image was altered or forged")
        case .untrustedKey(let keyID):
            let reason = "signed by a key that is not in the trust store (\(trustStore.location), \(trustStore.keys.count) key\(trustStore.keys.count == 1 ? "" : "s")); image key id \(keyID.prefix(16))"
            guard allowUnsigned else { throw refuse(.untrusted, reason) }
            verdict.overrides.append("--allow-unsigned: \(reason)")
        case .unsupportedAlgorithm(let algorithm):
            let reason = "signed with \(algorithm), Pinion verifies Ed25519 signatures only"
            guard allowUnsigned else { throw refuse(.untrusted, reason) }
            verdict.overrides.append("--allow-unsigned: \(reason)")
        case .unsigned:
            let reason = image.mcuboot == nil ? "a \(image.format) file carries no signature" : "the MCUboot image is not signed"
            guard allowUnsigned else { throw refuse(.unsigned, reason) }
            verdict.overrides.append("--allow-unsigned: \(reason)")
        case .noKeyBeforeSignature:
            let reason = "the signature is not preceded by a KEYHASH or PUBKEY TLV, so MCUboot ignores it and would not boot the image"
            guard allowUnsigned else { throw refuse(.untrusted, reason) }
            verdict.overrides.append("--allow-unsigned: \(reason)")
        case .notChecked(let why):
            let reason = "the signature cannot be checked: \(why)"
            guard allowUnsigned else { throw refuse(.untrusted, reason) }
            verdict.overrides.append("--allow-unsigned: \(reason)")
        }

        if let installed {
            if let current = installed.version, let new = image.version, new.isOlder(than: current) {
                let reason = "version \(new) is older than the board's \(current)"
                guard allowDowngrade else { throw refuse(.downgradeVersion, reason) }
                verdict.overrides.append("--allow-downgrade: \(reason)")
            }
            if let current = installed.securityCounter, let new = image.securityCounter, new < current {
                let reason = "security counter \(new) is lower than the board's \(current)"
                guard allowDowngrade else { throw refuse(.downgradeSecurityCounter, reason) }
                verdict.overrides.append("--allow-downgrade: \(reason) (a bootloader with rollback protection will still refuse it)")
            } else if let current = installed.securityCounter, image.securityCounter == nil, image.mcuboot != nil, current > 0 {
                let reason = "the image has no security counter, the board's is \(current)"
                guard allowDowngrade else { throw refuse(.downgradeSecurityCounter, reason) }
                verdict.overrides.append("--allow-downgrade: \(reason)")
            }
        }
        return verdict
    }
}

/// What the board runs now, as far as Pinion knows; nil fields skip the downgrade check for them.
public struct InstalledFirmware: Sendable, Hashable, Codable {
    public var version: ImageVersion?
    public var securityCounter: UInt32?

    public init(version: ImageVersion? = nil, securityCounter: UInt32? = nil) {
        self.version = version
        self.securityCounter = securityCounter
    }
}

/// An image that passed the policy, with what was verified and which overrides were needed.
public struct FirmwareVerdict: Sendable, Hashable, Codable {
    public var signature: MCUbootSignatureStatus
    /// The trusted key that signed it.
    public var signer: String?
    public var version: ImageVersion?
    public var securityCounter: UInt32?
    /// One line per rule an override let through, starting with the flag, e.g.
    /// `--allow-downgrade: version 1.1.0 is older than the board's 1.2.3`. Empty when no override was used.
    public var overrides: [String]

    /// True when the image is signed by a trusted key and no override was needed.
    public var isClean: Bool { signer != nil && overrides.isEmpty }
}

/// A refused image: which rule failed, why, and the flag that overrides it (if any), on one line:
/// `fw.img: refused: version 1.1.0 is older than the board's 1.2.3; pass --allow-downgrade to flash it anyway`.
public struct FirmwarePolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rules of `FirmwarePolicy`.
    public enum Rule: String, Hashable, Sendable, Codable {
        /// Hash mismatch or a signature by a trusted key that does not verify. Not overridable.
        case integrity
        /// No signature at all.
        case unsigned
        /// Signed, but not verifiably by a trusted key.
        case untrusted
        /// Lower version than the board's.
        case downgradeVersion
        /// Lower security counter than the board's.
        case downgradeSecurityCounter
    }

    public var rule: Rule
    public var file: String
    public var reason: String

    public init(rule: Rule, file: String, reason: String) {
        self.rule = rule
        self.file = file
        self.reason = reason
    }

    /// The command-line flag that overrides the rule; nil when none does.
    public var overrideFlag: String? {
        switch rule {
        case .integrity: nil
        case .unsigned, .untrusted: "--allow-unsigned"
        case .downgradeVersion, .downgradeSecurityCounter: "--allow-downgrade"
        }
    }

    public var description: String {
        let hint = overrideFlag.map { "; pass \($0) to flash it anyway" } ?? "; no flag overrides this, get an intact image"
        return "\(OneLine.clean(file)): refused: \(OneLine.clean(reason))\(hint)"
    }
}
