import Foundation
import Testing

/// `pinion firmware keygen|sign|verify|inspect`: the offline round trip a release engineer does.
@Suite("pinion firmware")
struct FirmwareCommandTests {
    @Test func keygenSignVerifyInspectRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-fw-\(UUID().uuidString)")
        let store = directory.appendingPathComponent("trusted")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("release.pem").path
        let keygen = try PinionProcess.run(["firmware", "keygen", "-o", key])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the private key is readable by its owner only")
        try keygen.stdout.write(to: store.appendingPathComponent("release.pem"), atomically: true, encoding: .utf8)
        #expect(try PinionProcess.run(["firmware", "keygen", "-o", key]).status == 1, "an existing key is never overwritten")

        let payload = directory.appendingPathComponent("app.bin")
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: payload)
        let image = directory.appendingPathComponent("app.img").path
        let sign = try PinionProcess.run(["firmware", "sign", "--key", key, "--version", "3.4.5+6", "--security-counter", "7",
                                          "-o", image, payload.path])
        #expect(sign.status == 0, "\(sign.stderr)")

        let verify = try PinionProcess.run(["firmware", "verify", "--trust-store", store.path, image])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("ok, signed by release, version 3.4.5+6, security counter 7"))
        let untrusted = try PinionProcess.run(["firmware", "verify", "--trust-store", directory.appendingPathComponent("empty").path, image])
        #expect(untrusted.status == 1)

        let inspect = try #require(try PinionProcess.json(["firmware", "inspect", "--json", "--trust-store", store.path, image]) as? [String: Any])
        #expect(inspect["format"] as? String == "mcuboot")
        let mcuboot = try #require(inspect["mcuboot"] as? [String: Any])
        #expect("\(mcuboot["version"] ?? "")".contains("3.4.5"))
    }
}
