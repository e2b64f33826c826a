import PinionFirmware
import Testing

/// The DNLOAD steps Pinion plans for DfuSe downloads: erase, set address, data from block 2,
/// leave; and the plans it refuses.
@Suite("DfuSe download plan")
struct DfuSeDownloadPlanTests {
    static let f4 = try! DfuSeMemoryLayout.parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg")
    static let otp = try! DfuSeMemoryLayout.parse("@OTP Memory /0x1FFF7800/01*512 e,01*016 e")

    static func bytes(_ count: Int, seed: Int = 1) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed) } }

    /// `erase sector 0x08000000`, `set address pointer to ...`, `block 2 @ 0x08000000 x2048`.
    static func listing(_ plan: DfuSeDownloadPlan) -> [String] {
        plan.steps.map { step in
            step.isData ? "block \(step.block) @ \(step.summary ?? "?") x\(step.data.count)" : (step.summary ?? "?")
        }
    }

    static func planError(_ body: () throws(DfuSePlanError) -> Void) -> DfuSePlanError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func oneSegmentErasesSetsTheAddressWritesFromBlock2AndLeaves() throws {
        let plan = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: Self.bytes(5000))], layout: Self.f4,
                                         transferSize: 2048, leaveAt: 0x0800_0000)
        #expect(Self.listing(plan) == [
            "erase sector 0x08000000",
            "set address pointer to 0x08000000",
            "block 2 @ 0x08000000 x2048",
            "block 3 @ 0x08000800 x2048",
            "block 4 @ 0x08001000 x904",
            "set address pointer to 0x08000000",
        ])
        #expect(plan.steps[0].data == [0x41, 0x00, 0x00, 0x00, 0x08] && plan.steps[0].block == 0 && !plan.steps[0].isData)
        #expect(plan.steps[1].data == [0x21, 0x00, 0x00, 0x00, 0x08] && plan.steps[1].block == 0)
        #expect(plan.steps[2...4].flatMap(\.data) == Self.bytes(5000))
        #expect(plan.ending == .manifestWithBlock(2), "leave: zero-length DNLOAD numbered 2, as dfu-util sends it")
        #expect(plan.erasedSectors == [0x0800_0000])
        #expect(plan.dataBytes == 5000)
    }

    @Test func withoutLeaveThePlanEndsWithoutAZeroLengthDownload() throws {
        let plan = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_4000, data: Self.bytes(16))], layout: Self.f4,
                                         transferSize: 2048)
        #expect(Self.listing(plan) == ["erase sector 0x08004000", "set address pointer to 0x08004000", "block 2 @ 0x08004000 x16"])
        #expect(plan.ending == .none)
    }

    @Test func twoSegmentsEachGetTheirSectorsAndASharedSectorIsErasedOnce() throws {
        let segments = [FirmwareSegment(address: 0x0800_3F00, data: Self.bytes(0x200)),     // crosses 0x08004000
                        FirmwareSegment(address: 0x0800_4100, data: Self.bytes(0x100, seed: 2)),  // same sector 1
                        FirmwareSegment(address: 0x0801_0000, data: Self.bytes(512, seed: 3))]    // sector 4 (64 KiB)
        let plan = try DfuSeDownloadPlan(segments: segments, layout: Self.f4, transferSize: 1024, leaveAt: 0x0800_3F00)
        #expect(Self.listing(plan) == [
            "erase sector 0x08000000", "erase sector 0x08004000",
            "set address pointer to 0x08003f00", "block 2 @ 0x08003f00 x512",
            "set address pointer to 0x08004100", "block 2 @ 0x08004100 x256",
            "erase sector 0x08010000",
            "set address pointer to 0x08010000", "block 2 @ 0x08010000 x512",
            "set address pointer to 0x08003f00",
        ])
        #expect(plan.erasedSectors == [0x0800_0000, 0x0800_4000, 0x0801_0000])
    }

    @Test func aSegmentEndingExactlyOnASectorBoundaryDoesNotEraseTheNextSector() throws {
        let plan = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: Self.bytes(0x4000))], layout: Self.f4,
                                         transferSize: 4096)
        #expect(plan.erasedSectors == [0x0800_0000])
        #expect(plan.steps.filter(\.isData).map(\.block) == [2, 3, 4, 5])
    }

    @Test func alreadyErasedSectorsAreSkippedAndMassEraseReplacesSectorErases() throws {
        let segment = FirmwareSegment(address: 0x0800_3F00, data: Self.bytes(0x200))
        let skipping = try DfuSeDownloadPlan(segments: [segment], layout: Self.f4, transferSize: 2048,
                                             erase: .sectors(alreadyErased: [0x0800_0000]))
        #expect(skipping.erasedSectors == [0x0800_4000])
        let mass = try DfuSeDownloadPlan(segments: [segment], layout: Self.f4, transferSize: 2048, erase: .mass)
        #expect(Self.listing(mass) == ["mass erase", "set address pointer to 0x08003f00", "block 2 @ 0x08003f00 x512"])
        #expect(mass.steps[0].data == [0x41])
        let none = try DfuSeDownloadPlan(segments: [segment], layout: Self.f4, transferSize: 2048, erase: .none)
        #expect(!Self.listing(none).contains { $0.hasPrefix("erase") })
    }

    @Test func writableMemoryThatCannotBeErasedIsWrittenWithoutErase() throws {
        let plan = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x1FFF_7800, data: Self.bytes(528))], layout: Self.otp,
                                         transferSize: 256)
        #expect(plan.erasedSectors.isEmpty)
        #expect(Self.listing(plan) == ["set address pointer to 0x1fff7800", "block 2 @ 0x1fff7800 x256", "block 3 @ 0x1fff7900 x256",
                                       "block 4 @ 0x1fff7a00 x16"])
    }

    @Test func blockNumbersNeverWrapIntoCommandBlocks() throws {
        let layout = try DfuSeMemoryLayout.parse("@RAM /0x20000000/01*128Kg")
        let plan = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x2000_0000, data: Self.bytes(70_000))], layout: layout,
                                         transferSize: 1)
        let setAddresses = plan.steps.filter { !$0.isData && $0.data.first == 0x21 }
        #expect(setAddresses.map(\.summary) == ["set address pointer to 0x20000000", "set address pointer to 0x2000fffe"])
        #expect(plan.steps.filter(\.isData).allSatisfy { $0.block >= 2 })
        #expect(plan.steps.filter(\.isData).last?.block == UInt16(2 + 70_000 - 65_534 - 1))
        #expect(plan.steps.filter(\.isData).flatMap(\.data) == Self.bytes(70_000))
    }

    @Test func segmentsOutsideWritableMemoryAreRefusedNamingAddressAndRegion() {
        let outside = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: [1]),
                                                 FirmwareSegment(address: 0x080F_FF00, data: Self.bytes(0x200))],
                                      layout: Self.f4, transferSize: 2048)
        }
        #expect(outside?.kind == .outsideMemory && outside?.segment == 1 && outside?.address == 0x0810_0000)
        #expect(outside?.description == "segment 1: 512 bytes at 0x080fff00-0x08100100: 0x08100000 is outside \"Internal Flash\" 0x08000000-0x08100000")

        let readOnly = try! DfuSeMemoryLayout.parse("@Internal Flash /0x08000000/8*001Ka,56*001Kg")
        let locked = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_1C00, data: Self.bytes(0x800))], layout: readOnly,
                                      transferSize: 2048)
        }
        #expect(locked?.kind == .notWritable && locked?.address == 0x0800_1C00)
        #expect(locked?.description == "segment 0: 2048 bytes at 0x08001c00-0x08002400: sector 0x08001c00 (1024 bytes) of \"Internal Flash\" is readable, not writable")

        let noAddress = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [FirmwareSegment(data: [1, 2, 3])], layout: Self.f4, transferSize: 2048)
        }
        #expect(noAddress?.kind == .noAddress && noAddress?.description.hasPrefix("segment 0: 3 bytes without an address") == true)

        let overlap = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: Self.bytes(0x100)),
                                                 FirmwareSegment(address: 0x0800_00F0, data: Self.bytes(0x20))],
                                      layout: Self.f4, transferSize: 2048)
        }
        #expect(overlap?.kind == .overlap && overlap?.address == 0x0800_00F0)

        let leave = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [], layout: Self.f4, transferSize: 2048, leaveAt: 0x2000_0000)
        }
        #expect(leave?.kind == .outsideMemory)

        let transfer = Self.planError { () throws(DfuSePlanError) in
            _ = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: [1])], layout: Self.f4, transferSize: 0)
        }
        #expect(transfer?.kind == .badTransferSize)
        for error in [outside, locked, noAddress, overlap, leave, transfer] { #expect(error?.description.contains("\n") == false) }
    }

    // MARK: - Several alternate settings

    static let f4Alternates: [UInt8: DfuSeMemoryLayout] = [
        0: f4,
        1: try! DfuSeMemoryLayout.parse("@Option Bytes  /0x1FFFC000/01*016 e"),
        2: otp,
        3: try! DfuSeMemoryLayout.parse("@Device Feature/0xFFFF0000/01*004 e"),
    ]

    @Test func eachSegmentGoesThroughTheAlternateSettingWhoseMemoryHoldsIt() throws {
        let segments = [FirmwareSegment(alternateSetting: 0, address: 0x0800_0000, data: Self.bytes(100)),
                        FirmwareSegment(alternateSetting: 1, address: 0x1FFF_7800, data: Self.bytes(16)),  // the file says 1: OTP is alt 2 here
                        FirmwareSegment(address: 0x0802_0000, data: Self.bytes(10))]
        let plan = try DfuSeFlashPlan(segments: segments, layouts: Self.f4Alternates, transferSize: 2048)
        #expect(plan.phases.map(\.alternateSetting) == [0, 2])
        #expect(plan.phases[0].segments.map(\.address) == [0x0800_0000, 0x0802_0000])
        #expect(plan.phases[0].plan.ending == .none && plan.phases[1].plan.ending == .none)
        #expect(plan.phases[1].plan.erasedSectors.isEmpty)
        let leave = try #require(plan.leave)
        #expect(leave.alternateSetting == 0)
        #expect(Self.listing(leave.plan) == ["set address pointer to 0x08000000"])
        #expect(leave.plan.ending == .manifestWithBlock(2))
        #expect(plan.dataBytes == 126)
    }

    @Test func theDfuSePackFixtureDoesNotFitAnSTM32F4AndTheRefusalNamesEveryMemory() throws {
        let image = try FirmwareImage.load(path: ImageFixtures.path("dfuse.dfu"))
        let error = Self.planError { () throws(DfuSePlanError) in _ = try DfuSeFlashPlan(segments: image.segments, layouts: Self.f4Alternates, transferSize: 2048) }
        #expect(error?.kind == .outsideMemory && error?.segment == 2 && error?.address == 0x1FFF_7800)
        #expect(error?.description == "segment 2: 1024 bytes at 0x1fff7800-0x1fff7c00 (for alt 1) fit no writable memory of the device: "
                + "alt 0 \"Internal Flash\" 0x08000000-0x08100000; alt 1 \"Option Bytes\" 0x1fffc000-0x1fffc010; "
                + "alt 2 \"OTP Memory\" 0x1fff7800-0x1fff7a10; alt 3 \"Device Feature\" 0xffff0000-0xffff0004")
    }
}
