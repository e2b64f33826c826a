import Crypto
import Foundation
import Testing
@testable import PinionFirmware

/// The files in Fixtures/, made by make-fixtures.sh with dfu-suffix, dfuse-pack, fwupdtool and imgtool.
enum ImageFixtures {
    static let directory: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the Fixtures folder is missing from the test bundle")
        }
        return url
    }()

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// The TEST key's public half, trusted under the name "test".
    static func trustStore() throws -> FirmwareTrustStore {
        FirmwareTrustStore(keys: [try FirmwarePublicKey(pem: text("test-ed25519.pub.pem"), name: "test")])
    }

    static func signingKey(_ name: String = "test-ed25519.pem") throws -> FirmwareSigningKey {
        try FirmwareSigningKey.load(path: path(name))
    }

    /// Catches the typed error of `body`; nil when it does not throw.
    static func imageError<T>(_ body: () throws(FirmwareImageError) -> T) -> FirmwareImageError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    static func policyError<T>(_ body: () throws(FirmwarePolicyError) -> T) -> FirmwarePolicyError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    static func keyError<T>(_ body: () throws(FirmwareKeyError) -> T) -> FirmwareKeyError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    /// Recomputes the DFU suffix CRC after an edit, so a parser gets past the CRC check.
    static func reseal(_ file: [UInt8]) -> [UInt8] {
        guard file.count >= 4 else { return file }
        var out = file
        let crc = CRC32.dfuSuffixCRC(out[..<(out.count - 4)])
        out.replaceSubrange((out.count - 4)..., with: [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
        return out
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

@Suite struct FixtureIntegrityTests {
    /// The committed fixtures are the ones make-fixtures.sh recorded (a half-regenerated set fails here).
    @Test func fixturesMatchTheirRecordedChecksums() throws {
        let sums = try ImageFixtures.text("SHA256SUMS")
        var checked = 0
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            try #require(parts.count == 2)
            let data = try ImageFixtures.bytes(String(parts[1]))
            #expect(Hex.bytes(ImageFixtures.sha256(data)) == String(parts[0]), "\(parts[1])")
            checked += 1
        }
        #expect(checked >= 20)
    }
}
