import Foundation
import Testing

/// `pinion flash --simulate` as a technician runs it: signature and downgrade rules, one-line
/// refusals that name the overriding flag, several boards at once, JSON events.
@Suite("pinion flash")
struct FlashCommandTests {
    static let fixtures = PinionProcess.repositoryRoot.appendingPathComponent("Tests/PinionFirmwareTests/Fixtures")

    /// A trust store holding the fixtures' test key, in a fresh temporary directory.
    static func trustStore() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("test-ed25519.pub.pem"),
                                         to: directory.appendingPathComponent("test-ed25519.pem"))
        return directory.path
    }

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test func aSignedNewerImageFlashesAndTheBoardRunsIt() throws {
        let outcome = try PinionProcess.run(["flash", "--simulate", "--trust-store", try Self.trustStore(), "EMU-S-0001",
                                             Self.fixture("signed-v1.3.0-sc3.img")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("flashed EMU-S-0001 (pinion-emu-npu-s): "))
        #expect(outcome.stdout.contains("manifestation: manifested, verified: read-back, now running 1.03"), "\(outcome.stdout)")
        #expect(outcome.stderr.contains("version 1.3.0, security counter 3, signed by test-ed25519"))
    }

    /// `[firmware] trust_store` of the configuration is the trust store when --trust-store is not given.
    @Test func theConfigurationsTrustStoreIsUsedWithoutTheOption() throws {
        let store = try Self.trustStore()
        defer { try? FileManager.default.removeItem(atPath: store) }
        let config = URL(fileURLWithPath: store).appendingPathComponent("pinion.toml")
        try "[firmware]\ntrust_store = \"\(store)\"\n".write(to: config, atomically: true, encoding: .utf8)
        let outcome = try PinionProcess.run(["flash", "--simulate", "--config", config.path, "EMU-S-0001", Self.fixture("signed-v1.3.0-sc3.img")],
                                            environment: ["PINION_TRUST_STORE": ""])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("signed by test-ed25519"), "\(outcome.stderr)")
    }

    @Test func refusalsAreOneLineAndNameTheFlag() throws {
        let store = try Self.trustStore()
        let tampered = FileManager.default.temporaryDirectory.appendingPathComponent("tampered-\(UUID().uuidString).img").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture("signed.img"))))
        bytes[0x200 + 100] ^= 0x01  // one payload byte
        try Data(bytes).write(to: URL(fileURLWithPath: tampered))
        let cases: [(String, String, String?)] = [
            ("raw.bin", "carries no signature", "--allow-unsigned"),
            ("unsigned.img", "not signed", "--allow-unsigned"),
            ("signed-other-key.img", "not in the trust store", "--allow-unsigned"),
            ("signed-v1.1.0-sc5.img", "version 1.1.0 is older than the board's 1.2.0", "--allow-downgrade"),
            (tampered, "hash does not match", nil),
        ]
        for (file, reason, flag) in cases {
            let path = file.hasPrefix("/") ? file : Self.fixture(file)
            let outcome = try PinionProcess.run(["flash", "--simulate", "--trust-store", store, "EMU-S-0001", path])
            #expect(outcome.status == 1, "\(file)")
            #expect(outcome.stdout.isEmpty, "\(file): nothing flashed")
            let lines = outcome.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(file): \(outcome.stderr)")
            #expect(outcome.stderr.contains("EMU-S-0001") && outcome.stderr.contains(reason), "\(file): \(outcome.stderr)")
            if let flag {
                #expect(outcome.stderr.contains("pass \(flag)"), "\(file): \(outcome.stderr)")
            } else {
                #expect(!outcome.stderr.contains("--allow"), "integrity failures cannot be overridden: \(outcome.stderr)")
            }
        }
    }

    @Test func overridesFlashWithAWarning() throws {
        let outcome = try PinionProcess.run(["flash", "--simulate", "--trust-store", try Self.trustStore(), "--allow-downgrade",
                                             "EMU-S-0001", Self.fixture("signed-v1.1.0-sc5.img")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("warning: --allow-downgrade: version 1.1.0 is older than the board's 1.2.0"))
        #expect(outcome.stdout.contains("now running 1.01"))
    }

    @Test func severalBoardsFlashInOneRunWithJSONEvents() throws {
        let outcome = try PinionProcess.run(["flash", "--simulate", "--json", "--allow-unsigned", "EMU-S-0001", "EMU-S-0002", "1-3.1",
                                             Self.fixture("raw.bin")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let events = outcome.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let results = events.filter { $0["event"] as? String == "result" }
        #expect(Set(results.compactMap { $0["serial"] as? String }) == ["EMU-S-0001", "EMU-S-0002", "EMU-L-0001"])
        #expect(results.allSatisfy { $0["ok"] as? Bool == true })
        let stages = Set(events.filter { $0["event"] as? String == "progress" }.compactMap { $0["stage"] as? String })
        #expect(stages == ["detach", "download", "verify", "reboot"])
    }

    @Test func aRawImageGoesOntoTheEmulatedSTM32AtItsAddress() throws {
        let flashed = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "--address", "0x08004000", "3574364C3034",
                                             Self.fixture("raw.bin")])
        #expect(flashed.status == 0, "\(flashed.stderr)")
        #expect(flashed.stdout.contains("flashed 3574364C3034 (stm32-dfu-bootloader)") && flashed.stdout.contains("verified: read-back"))
        let withoutAddress = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "3574364C3034", Self.fixture("raw.bin")])
        #expect(withoutAddress.status == 1 && withoutAddress.stderr.contains("give a raw image its start address with --address"))
        let outside = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "--address", "0x20000000", "3574364C3034",
                                             Self.fixture("raw.bin")])
        #expect(outside.status == 1 && outside.stderr.contains("refused before writing anything"), "\(outside.stderr)")
    }

    /// The Coral in its bootloader (1a6e:089a) is one board with its booted identity (18d1:9302): the
    /// image is read back as libedgetpu validates it, and the port reset boots it.
    @Test func aCoralInItsBootloaderIsReadBackAndBootedByThePortReset() throws {
        let outcome = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "CORAL-0001", Self.fixture("raw.bin")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("flashed CORAL-0001 (coral-usb-accelerator): "), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("manifestation: manifested, verified: read-back, now running 1.00"), "\(outcome.stdout)")
    }

    @Test func aFileLargerThanAnyBoardIsRefusedBeforeAnythingIsRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 64 << 20)
        try handle.close()
        let outcome = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "EMU-S-0001", path])
        #expect(outcome.status == 1 && outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("larger than any board holds: the limit is 16448 KiB"), "\(outcome.stderr)")
    }

    @Test func badSelectorsAreClearErrors() throws {
        let unknown = try PinionProcess.run(["flash", "--simulate", "--allow-unsigned", "NOPE", Self.fixture("raw.bin")])
        #expect(unknown.status == 1 && unknown.stderr.contains("no catalogued board 'NOPE' is attached"))
        let noBoard = try PinionProcess.run(["flash", "--simulate", Self.fixture("raw.bin")])
        #expect(noBoard.status != 0 && noBoard.stderr.contains("name at least one board"))
        let missing = try PinionProcess.run(["flash", "--simulate", "EMU-S-0001", "/nonexistent/fw.bin"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/fw.bin") && missing.stderr.contains("no such file"))
    }
}
