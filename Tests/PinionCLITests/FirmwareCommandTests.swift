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

    @Test func inspectFailsOnADfuSeFileWithOverlappingElements() throws {
        let fixtures = PinionProcess.repositoryRoot.appendingPathComponent("Tests/PinionFirmwareTests/Fixtures")
        var bytes = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("dfuse.dfu")))
        // Move target 0's second element (0x08010000) onto its first (0x08000000), then reseal the suffix CRC.
        let raw = try Data(contentsOf: fixtures.appendingPathComponent("raw.bin")).count
        let secondAddress = 11 + 274 + 8 + raw
        #expect(bytes[secondAddress..<(secondAddress + 4)].elementsEqual([0x00, 0x00, 0x01, 0x08]))
        bytes[secondAddress + 2] = 0x00
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes.dropLast(4) {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        bytes.replaceSubrange((bytes.count - 4)..., with: [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("overlap-\(UUID().uuidString).dfu").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let inspect = try PinionProcess.run(["firmware", "inspect", path])
        #expect(inspect.status == 1, "\(inspect.stdout)")
        #expect(inspect.stderr.contains("DfuSe target 0, element 1") && inspect.stderr.contains("overlaps target 0, element 0"),
                "\(inspect.stderr)")
        #expect(inspect.stderr.split(separator: "\n").count == 1)
    }

    @Test func inspectAndVerifyRefuseAFileLargerThanAnyBoardUnread() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 64 << 20)  // sparse: 64 MiB, more than the 16 MiB the catalogue's largest flash holds
        try handle.close()
        for command in ["inspect", "verify"] {
            let outcome = try PinionProcess.run(["firmware", command, path])
            #expect(outcome.status == 1, "\(command): \(outcome.stdout)")
            #expect(outcome.stderr.contains("larger than any board holds") && outcome.stderr.contains("flash_size_kib"), "\(command): \(outcome.stderr)")
        }
    }
}
