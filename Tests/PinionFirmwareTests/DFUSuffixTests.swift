import PinionUSB
import Testing
@testable import PinionFirmware

@Suite struct DFUSuffixTests {
    @Test func readsWhatDfuSuffixWrote() throws {
        let file = try ImageFixtures.bytes("with-suffix.bin")
        let raw = try ImageFixtures.bytes("raw.bin")
        let suffix = try #require(try DFUSuffix.parse(file, name: "with-suffix.bin"))
        #expect(suffix.idVendor == 0x1209)
        #expect(suffix.idProduct == 0x0003)
        #expect(suffix.bcdDevice == 0x0100)
        #expect(suffix.bcdDFU == 0x0100)
        #expect(suffix.length == 16)
        let (payload, found) = try DFUSuffix.split(file, name: "with-suffix.bin")
        #expect(payload == raw)
        #expect(found == suffix)
    }

    @Test func absentSuffixIsNil() throws {
        let raw = try ImageFixtures.bytes("raw.bin")
        #expect(try DFUSuffix.parse(raw, name: "raw.bin") == nil)
        #expect(try DFUSuffix.parse([], name: "empty") == nil)
        #expect(try DFUSuffix.parse([0x55, 0x46, 0x44], name: "tiny") == nil)
        let (payload, suffix) = try DFUSuffix.split(raw, name: "raw.bin")
        #expect(payload == raw && suffix == nil)
    }

    @Test func writesTheSameBytesAsDfuSuffix() throws {
        let raw = try ImageFixtures.bytes("raw.bin")
        let written = DFUSuffix(vendor: 0x1209, product: 0x0003, device: 0x0100).appended(to: raw)
        #expect(written == (try ImageFixtures.bytes("with-suffix.bin")))
        let small = try ImageFixtures.bytes("small.bin")
        #expect(DFUSuffix().appended(to: small) == (try ImageFixtures.bytes("any-suffix.bin")))
    }

    @Test func crcMismatchIsAOneLineError() throws {
        var file = try ImageFixtures.bytes("with-suffix.bin")
        file[100] ^= 0x01
        let error = try #require(ImageFixtures.imageError { () throws(FirmwareImageError) in try DFUSuffix.parse(file, name: "fw.bin") })
        #expect(error.kind == .checksumMismatch)
        #expect(error.offset == file.count - 4)
        #expect(error.description.hasPrefix("fw.bin: DFU suffix (byte 4108): CRC mismatch: the suffix says 0x"))
        #expect(!error.description.contains("\n"))

        var badCRC = try ImageFixtures.bytes("with-suffix.bin")
        badCRC[badCRC.count - 1] ^= 0xFF
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try DFUSuffix.parse(badCRC, name: "x") }?.kind == .checksumMismatch)
    }

    @Test func rejectsBadLengthAndRevision() throws {
        let raw = try ImageFixtures.bytes("small.bin")
        func resealed(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var file = DFUSuffix().appended(to: raw)
            edit(&file)
            let crc = CRC32.dfuSuffixCRC(file[..<(file.count - 4)])
            file.replaceSubrange((file.count - 4)..., with: [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
            return file
        }
        let short = resealed { $0[$0.count - 5] = 12 }
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try DFUSuffix.parse(short, name: "x") }?.kind == .malformed)
        let revision = resealed { $0[$0.count - 10] = 0x00; $0[$0.count - 9] = 0x02 }
        let error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DFUSuffix.parse(revision, name: "x") }
        #expect(error?.kind == .unsupported)
        #expect(error?.problem.contains("0x0200") == true)
        // A longer suffix (vendor bytes before the standard 16) is stripped whole.
        let longer = resealed { $0[$0.count - 5] = 20 }
        let (payload, suffix) = try DFUSuffix.split(longer, name: "x")
        #expect(suffix?.length == 20)
        #expect(payload == Array(raw.dropLast(4)))
    }

    @Test func targetChecks() throws {
        let target = try #require(try DFUSuffix.parse(try ImageFixtures.bytes("with-suffix.bin"), name: "x")).target
        #expect(target == FirmwareTarget(vendor: 0x1209, product: 0x0003, bcdDevice: 0x0100))
        #expect(target.matches(USBID(vendor: 0x1209, product: 0x0003), bcdDevice: 0x0100))
        #expect(target.matches(USBID(vendor: 0x1209, product: 0x0003)))
        #expect(!target.matches(USBID(vendor: 0x1209, product: 0x0003), bcdDevice: 0x0200))
        #expect(!target.matches(USBID(vendor: 0x1209, product: 0x0004)))

        let error = try #require(ImageFixtures.imageError { () throws(FirmwareImageError) in
            try target.check(USBID(vendor: 0x0483, product: 0xDF11), bcdDevice: 0x2200, file: "fw.bin")
        })
        #expect(error.kind == .wrongTarget)
        #expect(error.description == "fw.bin: DFU suffix: the image is for USB 1209:0003 (bcdDevice 0x0100), the board is 0483:df11 (bcdDevice 0x2200): use the image built for this board")

        let any = try #require(try DFUSuffix.parse(try ImageFixtures.bytes("any-suffix.bin"), name: "x")).target
        #expect(any.isAny)
        #expect(any.description == "any:any")
        #expect(any.matches(USBID(vendor: 0xCAFE, product: 0x400B), bcdDevice: 0x1234))
        // dfuse-pack writes bcdDevice 0: treated as "any release".
        #expect(FirmwareTarget(suffix: DFUSuffix(vendor: 0x0483, product: 0xDF11, device: 0)).bcdDevice == nil)
    }
}
