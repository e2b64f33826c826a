import PinionEmulator
import Testing
@testable import PinionFirmware

/// Whatever the bytes, loading, inspecting and judging a file ends in a value or a one-line error, never a trap.
@Suite struct RobustnessTests {
    static let fixtures = ["raw.bin", "with-suffix.bin", "any-suffix.bin", "dfuse.dfu", "dfuse-fwupd.dfu", "signed.img",
                           "signed-suffix.img", "unsigned.img", "signed-pure.img", "signed-full-key.img", "no-counter.img",
                           "pinion-signed.img"]

    /// Loads, and when that works inspects and evaluates; checks every error is one non-empty line.
    static func exercise(_ bytes: [UInt8], name: String, store: FirmwareTrustStore) -> Bool {
        do {
            let image = try FirmwareImage.load(bytes, name: name)
            _ = image.inspect(trustStore: store).lines
            do {
                _ = try FirmwarePolicy().evaluate(image, trustStore: store, installed: InstalledFirmware(version: ImageVersion(major: 1), securityCounter: 1))
            } catch {
                #expect(isOneLine(error.description), "\(error.description)")
            }
            return true
        } catch {
            #expect(isOneLine(error.description), "\(error.description)")
            #expect(error.description.hasPrefix(name + ": "))
            return false
        }
    }

    static func isOneLine(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("\n") && !text.contains("\r")
    }

    @Test func everyTruncationOfEveryFixture() throws {
        let store = try ImageFixtures.trustStore()
        for fixture in ["signed.img", "dfuse.dfu", "signed-pure.img", "with-suffix.bin"] {
            let bytes = try ImageFixtures.bytes(fixture)
            var failures = 0
            for length in 0..<bytes.count where !RobustnessTests.exercise(Array(bytes[..<length]), name: fixture, store: store) {
                failures += 1
            }
            #expect(failures > 0, "\(fixture): some truncation must be refused")
        }
    }

    @Test func garbage() throws {
        let store = try ImageFixtures.trustStore()
        var random = Random(seed: 0x5049_4E49_4F4E)
        let prefixes: [[UInt8]] = [[], Array("DfuSe".utf8), [0x3D, 0xB8, 0xF3, 0x96], [0x96, 0xF3, 0xB8, 0x3D], Array("DfuSe\u{1}".utf8)]
        for round in 0..<600 {
            let prefix = prefixes[round % prefixes.count]
            let length = Int(random.next() % 700)
            var bytes = prefix + (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 3 == 0 { bytes = DFUSuffix(bcdDFU: round % 2 == 0 ? 0x011A : 0x0100).appended(to: bytes) }
            _ = RobustnessTests.exercise(bytes, name: "garbage-\(round)", store: store)
        }
        // Every single-byte file and the all-0xFF / all-0x00 kind.
        for byte in 0...255 { _ = RobustnessTests.exercise([UInt8(byte)], name: "one", store: store) }
        for length in [16, 32, 44, 64, 275, 300] {
            _ = RobustnessTests.exercise([UInt8](repeating: 0xFF, count: length), name: "ff", store: store)
            _ = RobustnessTests.exercise([UInt8](repeating: 0x00, count: length), name: "zero", store: store)
        }
    }

    /// Mutates fixtures (flips, overwrites with boundary values, inserts, deletes), half of the time
    /// resealing the DFU suffix CRC so the mutation reaches the structure parsers behind it.
    @Test func mutatedFixtures() throws {
        let store = try ImageFixtures.trustStore()
        var random = Random(seed: 0xF1A5_4E55)
        var loaded = 0
        var refused = 0
        for fixture in RobustnessTests.fixtures {
            let original = try ImageFixtures.bytes(fixture)
            let hotSpots = [0, 4, 6, 8, 10, 12, 16, 20, 266, 270, 277, 281, 285, 289, original.count - 16, original.count - 5]
            for round in 0..<250 {
                var bytes = original
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let position = round % 2 == 0 && !bytes.isEmpty
                        ? min(bytes.count - 1, max(0, hotSpots[Int(random.next() % UInt64(hotSpots.count))] + Int(random.next() % 4)))
                        : Int(random.next() % UInt64(max(1, bytes.count)))
                    guard position < bytes.count else { continue }
                    switch random.next() % 6 {
                    case 0: bytes[position] ^= UInt8(1 << (random.next() % 8))
                    case 1: bytes[position] = [0x00, 0xFF, 0x7F, 0x80, 0x01][Int(random.next() % 5)]
                    case 2: bytes.replaceSubrange(position..<min(bytes.count, position + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
                    case 3: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                    case 4: bytes.remove(at: position)
                    default: bytes = Array(bytes[..<position])
                    }
                }
                if random.next() % 2 == 0, DFUSuffix.isPresent(in: bytes) { bytes = ImageFixtures.reseal(bytes) }
                if RobustnessTests.exercise(bytes, name: fixture, store: store) { loaded += 1 } else { refused += 1 }
            }
        }
        #expect(loaded > 0 && refused > 0)
    }

    @Test func mutatedKeyFilesNeverTrap() throws {
        var random = Random(seed: 42)
        for fixture in ["test-ed25519.pem", "test-ed25519.pub.pem", "test-ed25519.pub.hex"] {
            let original = try ImageFixtures.bytes(fixture)
            for _ in 0..<300 {
                var bytes = original
                let position = Int(random.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: random.next())
                if random.next() % 4 == 0 { bytes = Array(bytes[..<position]) }
                let text = String(decoding: bytes, as: UTF8.self)
                for error in [ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwarePublicKey(pem: text, name: "k") },
                              ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwarePublicKey(hex: text, name: "k") },
                              ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwareSigningKey(pem: text, name: "k") }] {
                    if let error { #expect(RobustnessTests.isOneLine(error.description)) }
                }
            }
        }
        // DER lengths that point far past the end.
        for der in [[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], [0x30, 0x85, 1, 1, 1, 1, 1], [0x30, 0x80], [0x30], [0x30, 0x02, 0x06, 0x7F]] as [[UInt8]] {
            let pem = PEM.encode(label: "PUBLIC KEY", der: der)
            #expect(ImageFixtures.keyError { () throws(FirmwareKeyError) in try FirmwarePublicKey(pem: pem, name: "d") } != nil)
        }
    }
}

extension RobustnessTests {
    /// Seeded, so failures reproduce.
    typealias Random = SplitMix64
}
