import Foundation
import PinionUSB
import Testing
@testable import PinionFirmware

@Suite struct FirmwareImageTests {
    @Test func detectsEachFormat() throws {
        let cases: [(String, FirmwareImage.Format, Int)] = [
            ("raw.bin", .raw, 4096), ("with-suffix.bin", .dfu, 4096), ("any-suffix.bin", .dfu, 1024),
            ("dfuse.dfu", .dfuse, 4096 + 512 + 1024), ("dfuse-fwupd.dfu", .dfuse, 4096 + 512 + 1024),
            ("signed.img", .mcuboot, 4764), ("signed-suffix.img", .mcuboot, 4764), ("unsigned.img", .mcuboot, 1588),
        ]
        for (fixture, format, download) in cases {
            let image = try FirmwareImage.load(path: ImageFixtures.path(fixture))
            #expect(image.format == format, "\(fixture)")
            #expect(image.downloadSize == download, "\(fixture)")
        }
    }

    @Test func rawAndSuffixedPayloads() throws {
        let raw = try ImageFixtures.bytes("raw.bin")
        let plain = try FirmwareImage.load(raw, name: "raw.bin")
        #expect(plain.segments == [FirmwareSegment(data: raw)])
        #expect(plain.target == nil && plain.version == nil && plain.securityCounter == nil)
        try plain.checkTarget(USBID(vendor: 0xCAFE, product: 0x400B))

        let suffixed = try FirmwareImage.load(try ImageFixtures.bytes("with-suffix.bin"), name: "with-suffix.bin")
        #expect(suffixed.segments == [FirmwareSegment(data: raw)])
        #expect(suffixed.target == FirmwareTarget(vendor: 0x1209, product: 0x0003, bcdDevice: 0x0100))
        try suffixed.checkTarget(USBID(vendor: 0x1209, product: 0x0003), bcdDevice: 0x0100)
        let error = ImageFixtures.imageError { () throws(FirmwareImageError) in
            try suffixed.checkTarget(USBID(vendor: 0xCAFE, product: 0x400B))
        }
        #expect(error?.description == "with-suffix.bin: DFU suffix: the image is for USB 1209:0003 (bcdDevice 0x0100), the board is cafe:400b: use the image built for this board")
    }

    @Test func dfuseSegmentsCarryAddressesAndAlternateSettings() throws {
        let image = try FirmwareImage.load(try ImageFixtures.bytes("dfuse-fwupd.dfu"), name: "d")
        #expect(image.segments.map(\.address) == [0x0800_0000, 0x0801_0000, 0x1FFF_7800])
        #expect(image.segments.map(\.alternateSetting) == [0, 0, 1])
        #expect(image.segments.map(\.targetName) == ["Internal Flash", "Internal Flash", "Option Bytes"])
        #expect(image.target == FirmwareTarget(vendor: 0x0483, product: 0xDF11))
        try image.checkTarget(USBID(vendor: 0x0483, product: 0xDF11), bcdDevice: 0x2200)
    }

    @Test func mcubootInsideADFUSuffix() throws {
        let image = try FirmwareImage.load(try ImageFixtures.bytes("signed-suffix.img"), name: "s")
        #expect(image.segments.first?.data == (try ImageFixtures.bytes("signed.img")))
        #expect(image.version?.description == "1.2.3+4")
        #expect(image.securityCounter == 5)
        #expect(image.target == FirmwareTarget(vendor: 0x1209, product: 0x0003))
        #expect(image.signatureStatus(trustStore: try ImageFixtures.trustStore()) == .verified(key: "test"))
    }

    @Test func inspectionIsCodable() throws {
        let store = try ImageFixtures.trustStore()
        let report = try FirmwareImage.load(try ImageFixtures.bytes("signed-suffix.img"), name: "signed-suffix.img").inspect(trustStore: store)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(report)
        let decoded = try JSONDecoder().decode(FirmwareInspection.self, from: json)
        #expect(decoded == report)
        let text = try #require(String(data: json, encoding: .utf8))
        #expect(text.contains(#""version":"1.2.3+4""#))
        #expect(text.contains(#""securityCounter":5"#))
        #expect(text.contains(#""format":"mcuboot""#))
        #expect(text.contains(#""hashStatus":"valid""#))
        #expect(text.contains(#""target":"1209:0003""#))
        #expect(report.mcuboot?.signature == .verified(key: "test"))
        #expect(report.mcuboot?.tlvs == ["SEC_CNT", "SHA256", "KEYHASH", "ED25519"])
        #expect(report.lines.count == 5)
        #expect(report.lines.dropFirst().first == "DFU suffix: for 1209:0003, bcdDFU 0x0100, CRC \(report.dfuSuffix?.crc ?? "?") ok")
        #expect(report.lines.filter { !$0.hasPrefix("DFU suffix") } == [
            "signed-suffix.img: MCUboot image, 4780 bytes, 4764 to download",
            "MCUboot: version 1.2.3+4, security counter 5, header 512 bytes, payload 4096 bytes",
            "hash: SHA256 valid cbc9faf564102b36267888a8c2decda7a2aa07eec0dcc1540b09d92d6f3c3c0a",
            "signature: signed by trusted key \"test\"",
        ])

        let dfuse = try FirmwareImage.load(try ImageFixtures.bytes("dfuse.dfu"), name: "dfuse.dfu").inspect()
        #expect(dfuse.segments.map(\.address) == ["0x08000000", "0x08010000", "0x1fff7800"])
        #expect(dfuse.dfuse?.imageSizeConvention == .includesSuffix)
        #expect(dfuse.lines.contains("  alt 1 \"ST...\": 1024 bytes at 0x1fff7800"))
        #expect(dfuse.dfuSuffix?.idVendor == "0483")
    }

    @Test func emptyAndMissingFiles() throws {
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load([], name: "e.bin") }?.description
            == "e.bin: file: the file is empty")
        let suffixOnly = DFUSuffix().appended(to: [])
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(suffixOnly, name: "s") }?.kind == .empty)
        let missing = ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(path: "/nonexistent/fw.bin") }
        #expect(missing?.description == "/nonexistent/fw.bin: file: no such file")
        let dfuseSuffixOnRaw = DFUSuffix(bcdDFU: DFUSuffix.dfuseVersion).appended(to: [1, 2, 3])
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(dfuseSuffixOnRaw, name: "x") }?.kind
            == .malformed)
    }

    @Test func namesWithControlCharactersStayOnOneLine() {
        let error = ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load([], name: "evil\nname\u{1B}[31m") }
        #expect(error?.description == "evil\\nname\\u{1b}[31m: file: the file is empty")
    }
}
