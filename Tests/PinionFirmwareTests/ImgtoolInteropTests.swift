import Foundation
import PinionTestSupport
import Testing
@testable import PinionFirmware

/// Live checks against imgtool when it is installed (`pip install imgtool==2.5.0`). Without it these
/// are skipped with that reason; the committed fixtures (made and checked by make-fixtures.sh with
/// imgtool) still cover the same ground in the other suites.
@Suite struct ImgtoolInteropTests {
    static let imgtool: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/imgtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func run(_ arguments: [String]) throws -> ProgramRun {
        try ProgramRun(try #require(imgtool), arguments, mergingErrors: true)
    }

    @Test(.enabled(if: imgtool != nil, "SKIPPED: imgtool is not on PATH (pip install imgtool==2.5.0); the committed pinion-signed.img fixture was verified by imgtool when it was made"))
    func imgtoolVerifiesPinionSignedImagesAndReadsPinionKeys() throws {
        let directory = try ImageFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = FirmwareSigningKey.generate(name: "live")
        try key.write(toPath: directory + "/live.pem")
        try key.publicKey.pem.write(toFile: directory + "/live.pub.pem", atomically: true, encoding: .utf8)
        let signed = try FirmwareSigner(key: key).sign(payload: try ImageFixtures.bytes("raw.bin"),
                                                       version: ImageVersion(major: 4, minor: 5, revision: 6, build: 7),
                                                       securityCounter: 11)
        try Data(signed).write(to: URL(fileURLWithPath: directory + "/live.img"))

        let verify = try Self.run(["verify", "-k", directory + "/live.pub.pem", directory + "/live.img"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("Image was correctly validated"), "\(verify.stdout)")
        #expect(verify.stdout.contains("Image version: 4.5.6+7"), "\(verify.stdout)")

        let getpub = try Self.run(["getpub", "-k", directory + "/live.pem", "--encoding", "pem"])
        #expect(getpub.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            == key.publicKey.pem.trimmingCharacters(in: .whitespacesAndNewlines))

        // And the other way: imgtool signs with Pinion's key, Pinion verifies.
        let small = directory + "/small.bin"
        try FileManager.default.copyItem(atPath: ImageFixtures.path("small.bin"), toPath: small)
        let sign = try Self.run(["sign", "--key", directory + "/live.pem", "--version", "2.0.0", "--security-counter", "3",
                                 "--header-size", "0x200", "--pad-header", "--align", "4", "--slot-size", "0x10000",
                                 small, directory + "/by-imgtool.img"])
        #expect(sign.status == 0, "\(sign.stdout)")
        let image = try FirmwareImage.load(path: directory + "/by-imgtool.img")
        #expect(image.signatureStatus(trustStore: FirmwareTrustStore(keys: [key.publicKey])) == .verified(key: "live"))
        #expect(image.securityCounter == 3)
    }
}
