import Testing
@testable import PinionFirmware

/// A DfuSe file that parses is one the flash planner can write: files with nothing to flash, or
/// elements that write the same bytes twice, are errors when loaded (so `inspect` and `verify`
/// fail on them, as `flash` would), naming the target and element.
@Suite("DfuSe files that cannot be flashed")
struct DfuSeFileFlashabilityTests {
    static func file(_ targets: [DfuSeTarget]) throws -> [UInt8] {
        try DfuSeFile(targets: targets).encoded()
    }

    static func loadError(_ targets: [DfuSeTarget]) throws -> FirmwareImageError? {
        let bytes = try file(targets)
        return ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(bytes, name: "bad.dfu") }
    }

    static let flash: UInt32 = 0x0800_0000

    @Test func overlappingElementsAreAnErrorNamingBoth() throws {
        let error = try #require(try Self.loadError([
            DfuSeTarget(alternateSetting: 0, elements: [DfuSeElement(address: Self.flash, data: [UInt8](repeating: 1, count: 0x200)),
                                                        DfuSeElement(address: Self.flash + 0x100, data: [UInt8](repeating: 2, count: 0x200))]),
        ]))
        #expect(error.kind == .malformed)
        #expect(error.section == "DfuSe target 0, element 1")
        #expect(error.problem.contains("overlaps target 0, element 0 (0x08000000-0x08000200) on alt 0"), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test func aDuplicateElementInAnotherTargetOfTheSameAltIsAnError() throws {
        let element = DfuSeElement(address: Self.flash, data: [1, 2, 3, 4])
        let error = try #require(try Self.loadError([DfuSeTarget(alternateSetting: 0, elements: [element]),
                                                     DfuSeTarget(alternateSetting: 0, elements: [element])]))
        #expect(error.section == "DfuSe target 1, element 0")
        #expect(error.problem.contains("duplicates target 0, element 0"), "\(error)")
    }

    @Test func theSameAddressThroughAnotherAltIsAnotherMemory() throws {
        let element = DfuSeElement(address: Self.flash, data: [1, 2, 3, 4])
        let image = try FirmwareImage.load(try Self.file([DfuSeTarget(alternateSetting: 0, elements: [element]),
                                                          DfuSeTarget(alternateSetting: 1, elements: [element])]), name: "ok.dfu")
        #expect(image.segments.count == 2)
    }

    @Test func adjacentElementsAreFine() throws {
        let image = try FirmwareImage.load(try Self.file([
            DfuSeTarget(alternateSetting: 0, elements: [DfuSeElement(address: Self.flash + 4, data: [5, 6]),
                                                        DfuSeElement(address: Self.flash, data: [1, 2, 3, 4])]),
        ]), name: "ok.dfu")
        #expect(image.downloadSize == 6)
    }

    @Test func aZeroLengthElementIsAnError() throws {
        let error = try #require(try Self.loadError([
            DfuSeTarget(alternateSetting: 0, elements: [DfuSeElement(address: Self.flash, data: [1]), DfuSeElement(address: Self.flash + 16, data: [])]),
        ]))
        #expect(error.kind == .empty && error.section == "DfuSe target 0, element 1")
        #expect(error.problem.contains("dwElementSize is 0"))
    }

    @Test func anEmptyTargetIsAnError() throws {
        let error = try #require(try Self.loadError([DfuSeTarget(alternateSetting: 0, elements: [DfuSeElement(address: Self.flash, data: [1])]),
                                                     DfuSeTarget(alternateSetting: 1, elements: [])]))
        #expect(error.kind == .empty && error.section == "DfuSe target 1")
        #expect(error.problem.contains("dwNbElements is 0"))
    }

    @Test func aFileWithoutTargetsIsAnError() throws {
        let error = try #require(try Self.loadError([]))
        #expect(error.kind == .empty && error.section == "DfuSe prefix" && error.offset == 10)
        #expect(error.problem.contains("bTargets is 0"))
    }

    @Test func theFixturesStillLoad() throws {
        for name in ["dfuse.dfu", "dfuse-fwupd.dfu"] {
            #expect(try FirmwareImage.load(path: ImageFixtures.path(name)).format == .dfuse)
        }
    }
}
