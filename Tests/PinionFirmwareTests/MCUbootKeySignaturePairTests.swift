import Testing
@testable import PinionFirmware

/// MCUboot's rule for which key checks which signature (bootutil_img_validate): a KEYHASH or
/// PUBKEY TLV names the key for the next ED25519 TLV only; a signature with no recognised key
/// before it is ignored, and the image boots when any key/signature pair verifies. The
/// unprotected TLV area is not covered by the hash, so anyone can edit it without breaking it.
@Suite("MCUboot key/signature pairs")
struct MCUbootKeySignaturePairTests {
    /// signed.img (SHA256, KEYHASH, ED25519 by the test key) with its unprotected TLVs replaced.
    static func signed(_ change: ([MCUbootTLV]) -> [MCUbootTLV]) throws -> MCUbootImage {
        let original = try MCUbootImage.parse(try ImageFixtures.bytes("signed.img"), name: "signed.img")
        let area = MCUbootTLVArea.encode(change(original.tlvs), protected: false)
        let bytes = Array(original.bytes[..<original.hashedRange.upperBound]) + area
        return try MCUbootImage.parse(bytes, name: "edited.img")
    }

    static func keys() throws -> [FirmwarePublicKey] { try ImageFixtures.trustStore().keys }
    static let keyHash = MCUbootTLVType.keyHash.rawValue
    static let ed25519 = MCUbootTLVType.ed25519.rawValue

    @Test func theFixtureVerifiesAsItIs() throws {
        #expect(try Self.signed { $0 }.verifySignature(with: Self.keys()) == .verified(key: "test"))
    }

    @Test func aSignatureWithoutItsKeyHashIsNotTrusted() throws {
        let image = try Self.signed { $0.filter { $0.type != Self.keyHash } }
        #expect(image.hashCheck.isValid)
        #expect(image.verifySignature(with: try Self.keys()) == .noKeyBeforeSignature)
    }

    @Test func aKeyHashWhoseTypeWasChangedNamesNoKey() throws {
        let image = try Self.signed { $0.map { var tlv = $0; if tlv.type == Self.keyHash { tlv.type = 0x03 }; return tlv } }
        #expect(image.verifySignature(with: try Self.keys()) == .noKeyBeforeSignature)
        let policy = ImageFixtures.policyError { () throws(FirmwarePolicyError) in
            try FirmwarePolicy().evaluate(try! FirmwareImage.load(image.bytes, name: "edited.img"), trustStore: try! ImageFixtures.trustStore())
        }
        #expect(policy?.rule == .untrusted && policy?.description.contains("KEYHASH or PUBKEY") == true, "\(String(describing: policy))")
    }

    @Test func aKeyHashAfterTheSignatureDoesNotCount() throws {
        let image = try Self.signed { tlvs in
            tlvs.filter { $0.type != Self.keyHash } + tlvs.filter { $0.type == Self.keyHash }
        }
        #expect(image.verifySignature(with: try Self.keys()) == .noKeyBeforeSignature)
    }

    @Test func aSignatureTypeChangedIsNoSignature() throws {
        let image = try Self.signed { $0.map { var tlv = $0; if tlv.type == Self.ed25519 { tlv.type = 0x7E }; return tlv } }
        #expect(image.verifySignature(with: try Self.keys()) == .unsigned)
    }

    @Test func everyPairIsConsideredNotJustTheFirstKey() throws {
        let image = try Self.signed { tlvs in
            // An unknown key's pair first, then the test key's own.
            let stranger = [MCUbootTLV(type: Self.keyHash, value: [UInt8](repeating: 0xAB, count: 32)),
                            MCUbootTLV(type: Self.ed25519, value: [UInt8](repeating: 0, count: 64))]
            return tlvs.filter { $0.type != Self.keyHash && $0.type != Self.ed25519 } + stranger
                + tlvs.filter { $0.type == Self.keyHash || $0.type == Self.ed25519 }
        }
        #expect(image.verifySignature(with: try Self.keys()) == .verified(key: "test"))
    }

    @Test func aKeyNamesOnlyTheNextSignature() throws {
        let image = try Self.signed { tlvs in
            // KEYHASH, a bad signature, then the good signature with no key of its own.
            let signature = tlvs.first { $0.type == Self.ed25519 }!
            let forged = MCUbootTLV(type: Self.ed25519, value: signature.value.map { $0 ^ 0x5A })
            return tlvs.filter { $0.type != Self.ed25519 } + [forged, signature]
        }
        #expect(image.verifySignature(with: try Self.keys()) == .invalid(key: "test"))
    }
}
