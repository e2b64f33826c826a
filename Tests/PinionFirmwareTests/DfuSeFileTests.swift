import Testing
@testable import PinionFirmware

@Suite struct DfuSeFileTests {
    func expectFixtureLayout(_ file: DfuSeFile) throws {
        let raw = try ImageFixtures.bytes("raw.bin")
        let second = try ImageFixtures.bytes("second.bin")
        let small = try ImageFixtures.bytes("small.bin")
        #expect(file.targets.count == 2)
        let flash = try #require(file.targets.first)
        #expect(flash.alternateSetting == 0)
        #expect(flash.elements.map(\.address) == [0x0800_0000, 0x0801_0000])
        #expect(flash.elements.map(\.data) == [raw, second])
        let option = try #require(file.targets.last)
        #expect(option.alternateSetting == 1)
        #expect(option.elements.map(\.address) == [0x1FFF_7800])
        #expect(option.elements.first?.data == small)
        #expect(file.suffix.idVendor == 0x0483 && file.suffix.idProduct == 0xDF11)
        #expect(file.suffix.bcdDFU == 0x011A)
    }

    @Test func readsDfusePackOutputWithImageSizeIncludingTheSuffix() throws {
        let bytes = try ImageFixtures.bytes("dfuse.dfu")
        let file = try DfuSeFile.parse(bytes, name: "dfuse.dfu")
        try expectFixtureLayout(file)
        #expect(file.imageSizeConvention == .includesSuffix)
        #expect(file.targets.map(\.name) == ["ST...", "ST..."])
        #expect(file.suffix.bcdDevice == 0)
    }

    @Test func readsFwupdOutputWithImageSizeExcludingTheSuffix() throws {
        let bytes = try ImageFixtures.bytes("dfuse-fwupd.dfu")
        let file = try DfuSeFile.parse(bytes, name: "dfuse-fwupd.dfu")
        try expectFixtureLayout(file)
        #expect(file.imageSizeConvention == .excludesSuffix)
        #expect(file.targets.map(\.name) == ["Internal Flash", "Option Bytes"])
        #expect(file.suffix.bcdDevice == 0xFFFF)
    }

    @Test func writesBothConventionsByteForByte() throws {
        for (fixture, convention) in [("dfuse.dfu", DfuSeFile.ImageSizeConvention.includesSuffix), ("dfuse-fwupd.dfu", .excludesSuffix)] {
            let bytes = try ImageFixtures.bytes(fixture)
            var file = try DfuSeFile.parse(bytes, name: fixture)
            #expect(try file.encoded() == bytes, "\(fixture)")
            file.imageSizeConvention = convention == .includesSuffix ? .excludesSuffix : .includesSuffix
            let other = try file.encoded()
            #expect(try DfuSeFile.parse(other, name: "rewritten").targets == file.targets)
        }
    }

    @Test func rejectsAWrongImageSize() throws {
        var bytes = try ImageFixtures.bytes("dfuse.dfu")
        bytes[6] &+= 1
        bytes = ImageFixtures.reseal(bytes)
        let error = try #require(ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(bytes, name: "f.dfu") })
        #expect(error.kind == .malformed)
        #expect(error.description == "f.dfu: DfuSe prefix (byte 6): DFUImageSize is 6232, expected 6231 (whole file) or 6215 (without the suffix)")
    }

    @Test func boundsChecksElementAndTargetSizes() throws {
        let original = try ImageFixtures.bytes("dfuse.dfu")
        // Target 0 prefix at 11; its first element header at 11 + 274.
        let firstElementSize = 11 + 274 + 4
        var huge = original
        huge.replaceSubrange(firstElementSize..<(firstElementSize + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
        var error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(huge), name: "f") }
        #expect(error?.kind == .truncated)
        #expect(error?.section == "DfuSe target 0, element 0")

        var manyElements = original
        manyElements.replaceSubrange((11 + 270)..<(11 + 274), with: [0xFF, 0xFF, 0xFF, 0xFF])
        error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(manyElements), name: "f") }
        #expect(error?.kind == .truncated)

        var targetSize = original
        targetSize.replaceSubrange((11 + 266)..<(11 + 270), with: [0xFF, 0xFF, 0xFF, 0x7F])
        error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(targetSize), name: "f") }
        #expect(error?.kind == .truncated)
        #expect(error?.problem.contains("dwTargetSize") == true)

        var moreTargets = original
        moreTargets[10] = 3
        error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(moreTargets), name: "f") }
        #expect(error?.section == "DfuSe target 2")

        var fewerTargets = original
        fewerTargets[10] = 1
        error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(fewerTargets), name: "f") }
        #expect(error?.problem.contains("after the last of 1 targets") == true)

        var signature = original
        signature[11] = UInt8(ascii: "t")
        error = ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(signature), name: "f") }
        #expect(error?.problem == "expected the signature \"Target\"")
    }

    @Test func requiresADfuSeSuffix() throws {
        let original = try ImageFixtures.bytes("dfuse.dfu")
        let stripped = Array(original.dropLast(16))
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(stripped, name: "f") }?.problem
            .contains("must end with a DFU suffix") == true)
        var plainDFU = original
        plainDFU[plainDFU.count - 10] = 0x00
        plainDFU[plainDFU.count - 9] = 0x01
        #expect(ImageFixtures.imageError { () throws(FirmwareImageError) in try DfuSeFile.parse(ImageFixtures.reseal(plainDFU), name: "f") }?.problem
            .contains("bcdDFU is 0x0100") == true)
    }
}

