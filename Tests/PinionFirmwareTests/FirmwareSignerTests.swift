import Foundation
import Testing
@testable import PinionFirmware

@Suite struct FirmwareSignerTests {
    @Test func producesImgtoolsLayout() throws {
        let key = try ImageFixtures.signingKey()
        let signer = FirmwareSigner(key: key, headerSize: 0x200)
        let signed = try signer.sign(payload: try ImageFixtures.bytes("raw.bin"), version: #require(ImageVersion("1.2.3+4")), securityCounter: 5)
        let imgtool = try ImageFixtures.bytes("signed.img")
        #expect(signed.count == imgtool.count)
        // Everything but the 64 signature bytes is identical; Ed25519 is deterministic (RFC 8032),
        // so with BoringSSL (Linux) the signature is too.
        #expect(Array(signed.dropLast(64)) == Array(imgtool.dropLast(64)))
        #if os(Linux)
        #expect(signed == imgtool)
        #endif
        let image = try MCUbootImage.parse(signed, name: "s")
        #expect(image.verifySignature(with: try ImageFixtures.trustStore().keys) == .verified(key: "test"))
    }

    @Test func unsignedAndCounterlessImagesMatchImgtool() throws {
        let small = try ImageFixtures.bytes("small.bin")
        let unsigned = try FirmwareSigner(key: nil).sign(payload: small, version: #require(ImageVersion("1.2.3")), securityCounter: 5)
        #expect(unsigned == (try ImageFixtures.bytes("unsigned.img")))
        let noCounter = try FirmwareSigner(key: ImageFixtures.signingKey(), headerSize: 0x20)
            .sign(payload: small, version: #require(ImageVersion("0.9.0")), securityCounter: nil)
        #expect(Array(noCounter.dropLast(64)) == Array((try ImageFixtures.bytes("no-counter.img")).dropLast(64)))
    }

    /// pinion-signed.img was written by this signer and accepted by `imgtool verify` in make-fixtures.sh.
    @Test func committedPinionSignedImageVerifies() throws {
        let bytes = try ImageFixtures.bytes("pinion-signed.img")
        let image = try FirmwareImage.load(bytes, name: "pinion-signed.img")
        #expect(image.version == FixtureExport.version)
        #expect(image.securityCounter == FixtureExport.securityCounter)
        #expect(image.mcuboot?.header.headerSize == FixtureExport.headerSize)
        #expect(image.signatureStatus(trustStore: try ImageFixtures.trustStore()) == .verified(key: "test"))
        let now = try FixtureExport.pinionSigned()
        #expect(Array(now.dropLast(64)) == Array(bytes.dropLast(64)), "the signer's output changed since the fixture was made")
    }

    @Test func loadAddressSetsRamLoad() throws {
        let image = try FirmwareSigner(key: nil, headerSize: 0x40, loadAddress: 0x2000_0000)
            .sign(payload: [1, 2, 3], version: ImageVersion(major: 1), securityCounter: nil)
        let parsed = try MCUbootImage.parse(image, name: "r")
        #expect(parsed.header.flags == .ramLoad)
        #expect(parsed.header.loadAddress == 0x2000_0000)
        #expect(parsed.header.flags.names == ["RAM_LOAD"])
        #expect(parsed.hashCheck.isValid)
    }

    @Test func refusesImpossibleHeaders() throws {
        let error = ImageFixtures.imageError { () throws(FirmwareImageError) in
            try FirmwareSigner(key: nil, headerSize: 16).sign(payload: [1], version: ImageVersion(major: 1), securityCounter: nil)
        }
        #expect(error?.kind == .cannotBuild)
    }
}

/// Writes Pinion-signed output for make-fixtures.sh, which checks it with `imgtool verify`.
/// Runs only when PINION_EXPORT_FIXTURES names a directory.
@Suite struct FixtureExport {
    static let version = ImageVersion(major: 3, minor: 0, revision: 0, build: 7)
    static let securityCounter: UInt32 = 9
    static let headerSize: UInt16 = 0x100

    static func pinionSigned() throws -> [UInt8] {
        try FirmwareSigner(key: ImageFixtures.signingKey(), headerSize: headerSize)
            .sign(payload: try ImageFixtures.bytes("small.bin"), version: version, securityCounter: securityCounter)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PINION_EXPORT_FIXTURES"] != nil,
                   "only make-fixtures.sh runs this (it sets PINION_EXPORT_FIXTURES)"))
    func export() throws {
        let directory = try #require(ProcessInfo.processInfo.environment["PINION_EXPORT_FIXTURES"])
        try Data(try FixtureExport.pinionSigned()).write(to: URL(fileURLWithPath: directory + "/pinion-signed.img"))
        let key = FirmwareSigningKey.generate(name: "generated")
        try key.write(toPath: directory + "/generated-ed25519.pem")
        try key.publicKey.pem.write(toFile: directory + "/generated-ed25519.pub.pem", atomically: true, encoding: .utf8)
    }
}
