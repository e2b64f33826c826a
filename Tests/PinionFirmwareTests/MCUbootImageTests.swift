import Testing
@testable import PinionFirmware

@Suite struct MCUbootImageTests {
    @Test func readsImgtoolOutput() throws {
        let bytes = try ImageFixtures.bytes("signed.img")
        let image = try MCUbootImage.parse(bytes, name: "signed.img")
        #expect(image.header.version == ImageVersion(major: 1, minor: 2, revision: 3, build: 4))
        #expect(image.header.version.description == "1.2.3+4")
        #expect(image.header.headerSize == 0x200)
        #expect(image.header.imageSize == 4096)
        #expect(image.header.protectedTLVSize == 12)
        #expect(image.header.loadAddress == 0)
        #expect(image.header.flags == [])
        #expect(image.securityCounter == 5)
        #expect(Array(image.payload) == (try ImageFixtures.bytes("raw.bin")))
        #expect(image.protectedTLVs.map(\.typeName) == ["SEC_CNT"])
        #expect(image.tlvs.map(\.typeName) == ["SHA256", "KEYHASH", "ED25519"])
        #expect(image.tlvEnd == bytes.count)
        #expect(image.header.bytes == Array(bytes[0..<32]))
    }

    @Test func hashMatchesImgtoolsDigest() throws {
        let image = try MCUbootImage.parse(try ImageFixtures.bytes("signed.img"), name: "signed.img")
        // `imgtool verify` printed this digest for the fixture.
        let expected = "cbc9faf564102b36267888a8c2decda7a2aa07eec0dcc1540b09d92d6f3c3c0a"
        guard case .valid(let algorithm, let digest) = image.hashCheck else {
            Issue.record("hash check: \(image.hashCheck)")
            return
        }
        #expect(algorithm == "SHA256")
        #expect(Hex.bytes(digest) == expected)
    }

    @Test func keyHashIsSHA256OfTheSubjectPublicKeyInfo() throws {
        let image = try MCUbootImage.parse(try ImageFixtures.bytes("signed.img"), name: "signed.img")
        let key = try FirmwarePublicKey(pem: ImageFixtures.text("test-ed25519.pub.pem"), name: "test")
        #expect(image.tlv(.keyHash)?.value == key.keyHash)
        #expect(Hex.bytes(key.keyHash) == "503d8ee46d581c649966569ae095e27041de83322e8e0480e5539e00d2d5d874")
    }

    @Test func signatureChecks() throws {
        let keys = try ImageFixtures.trustStore().keys
        func status(_ fixture: String) throws -> MCUbootSignatureStatus {
            try MCUbootImage.parse(try ImageFixtures.bytes(fixture), name: fixture).verifySignature(with: keys)
        }
        #expect(try status("signed.img") == .verified(key: "test"))
        #expect(try status("signed-v1.1.0-sc5.img") == .verified(key: "test"))
        #expect(try status("no-counter.img") == .verified(key: "test"))
        #expect(try status("signed-full-key.img") == .verified(key: "test"), "PUBKEY TLV (--public-key-format full)")
        #expect(try status("signed-pure.img") == .verified(key: "test"), "SIG_PURE (--pure), SHA512")
        #expect(try status("unsigned.img") == .unsigned)
        guard case .untrustedKey(let id) = try status("signed-other-key.img") else {
            Issue.record("a signature by the other key must be untrusted")
            return
        }
        let other = try FirmwarePublicKey(pem: ImageFixtures.text("other-ed25519.pub.pem"), name: "other")
        #expect(id == Hex.bytes(other.keyHash))
        // Trusting the other key makes it verify.
        let both = keys + [other]
        #expect(try MCUbootImage.parse(try ImageFixtures.bytes("signed-other-key.img"), name: "x").verifySignature(with: both) == .verified(key: "other"))
    }

    @Test func tamperedPayloadHeaderOrSignatureFails() throws {
        let keys = try ImageFixtures.trustStore().keys
        let original = try ImageFixtures.bytes("signed.img")
        for offset in [0x200 + 100, 20 /* iv_major */, 0x200 + 4096 + 8 /* SEC_CNT value */] {
            var bytes = original
            bytes[offset] ^= 0x01
            let image = try MCUbootImage.parse(bytes, name: "t")
            guard case .mismatch = image.hashCheck else {
                Issue.record("byte \(offset): hash should mismatch, got \(image.hashCheck)")
                continue
            }
            #expect(image.verifySignature(with: keys) == .notChecked(reason: "the image hash does not match"))
        }
        // A forged signature on an intact image.
        var forged = original
        forged[forged.count - 1] ^= 0x80
        let image = try MCUbootImage.parse(forged, name: "t")
        #expect(image.hashCheck.isValid)
        #expect(image.verifySignature(with: keys) == .invalid(key: "test"))
    }

    @Test func malformedHeadersAreOneLineErrors() throws {
        let original = try ImageFixtures.bytes("signed.img")
        var bytes = original
        bytes[12] = 0xFF; bytes[13] = 0xFF; bytes[14] = 0xFF; bytes[15] = 0x7F
        let error = try #require(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bytes, name: "f.img") })
        #expect(error.kind == .truncated)
        #expect(error.description == "f.img: MCUboot header (byte 12): hdr_size 512 + img_size 2147483647 = 2147484159 bytes, the file has 4764")

        bytes = original
        bytes[8] = 8; bytes[9] = 0
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bytes, name: "f") }?.problem
            == "ih_hdr_size is 8, smaller than the 32-byte header itself")

        bytes = original
        bytes[10] = 16 // protect_tlv_size no longer matches the protected area
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bytes, name: "f") }?.section
            == "MCUboot protected TLV area")

        bytes = original
        bytes[10] = 0 // protected area present but not announced
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bytes, name: "f") }?.problem
            .contains("protect_tlv_size is 0 but a protected area is present") == true)

        let bigEndian = [0x96, 0xF3, 0xB8, 0x3D] + Array(original.dropFirst(4))
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bigEndian, name: "f") }?.kind
            == .unsupported)

        let tlvStart = 0x200 + 4096 + 12
        bytes = original
        bytes[tlvStart + 4 + 2] = 0xFF // first TLV claims 0x??FF bytes
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try MCUbootImage.parse(bytes, name: "f") }?.problem
            .hasPrefix("TLV SHA256 claims") == true)
    }

    @Test func paddedImagesKeepTheirTrailer() throws {
        // `imgtool sign --pad` fills the slot after the TLVs; the parser stops at the TLV area's end.
        let original = try ImageFixtures.bytes("signed.img")
        let padded = original + [UInt8](repeating: 0xFF, count: 300)
        let image = try MCUbootImage.parse(padded, name: "p")
        #expect(image.tlvEnd == original.count)
        #expect(image.hashCheck.isValid)
        #expect(image.verifySignature(with: try ImageFixtures.trustStore().keys).isVerified)
    }

    @Test func versionParsingAndOrder() throws {
        #expect(ImageVersion("1.2.3+4") == ImageVersion(major: 1, minor: 2, revision: 3, build: 4))
        #expect(ImageVersion("1.2.3") == ImageVersion(major: 1, minor: 2, revision: 3))
        #expect(ImageVersion("2") == ImageVersion(major: 2))
        #expect(ImageVersion("255.255.65535+4294967295") != nil)
        for bad in ["", "1.", "1.2.3.4", "256.0.0", "1.2.3+", "a.b", "1.2.3+x", "-1", "1..2", "١.٢.٣"] {
            #expect(ImageVersion(bad) == nil, "\(bad)")
        }
        let old = try #require(ImageVersion("1.1.0"))
        let new = try #require(ImageVersion("1.2.3+4"))
        #expect(old < new && old.isOlder(than: new))
        #expect(!(try #require(ImageVersion("1.2.3+9"))).isOlder(than: new))
        #expect(!(try #require(ImageVersion("1.2.3+1"))).isOlder(than: new), "the build number does not make a downgrade")
        #expect(ImageVersion(major: 1, minor: 2, revision: 3).description == "1.2.3")
    }
}
