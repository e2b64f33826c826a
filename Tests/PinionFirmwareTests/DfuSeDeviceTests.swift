import PinionEmulator
import PinionFirmware
import Testing

/// The host's download machine running DfuSe plans against the emulated STM32 bootloader's
/// state machine (both values, no I/O, no clock): bytes land at their addresses, erase comes
/// before write, errors arrive in the states AN3156 gives them.
@Suite("DfuSe host against the emulated bootloader")
struct DfuSeDeviceTests {
    static let layouts = DfuSeDownloadPlanTests.f4Alternates

    static func device(transferSize: Int = 2048, configure: (inout EmulatedDfuSeDevice.Behaviour) -> Void = { _ in }) -> EmulatedDfuSeDevice {
        var behaviour = EmulatedDfuSeDevice.Behaviour()
        behaviour.transferSize = transferSize
        configure(&behaviour)
        return EmulatedDfuSeDevice(layouts: layouts, behaviour: behaviour)
    }

    static func bytes(_ count: Int, seed: Int = 1) -> [UInt8] { DfuSeDownloadPlanTests.bytes(count, seed: seed) }

    @Test func theBytesLandAtTheirAddressesAndTheDeviceLeavesToTheStartAddress() throws {
        let segments = [FirmwareSegment(address: 0x0800_3F00, data: Self.bytes(5000)),
                        FirmwareSegment(address: 0x0801_0000, data: Self.bytes(512, seed: 9))]
        let plan = try DfuSeDownloadPlan(segments: segments, layout: Self.layouts[0]!, transferSize: 2048, leaveAt: 0x0800_3F00)
        var device = Self.device()
        var machine = plan.machine()
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.deviceResetDuringManifestation), "the part jumps off the bus after dfuMANIFEST")
        #expect(device.exit == .jumped(to: 0x0800_3F00))
        #expect(device.memory.read(0x0800_3F00, count: 5000) == Self.bytes(5000))
        #expect(device.memory.read(0x0801_0000, count: 512) == Self.bytes(512, seed: 9))
        #expect(device.memory.isErased(0x0800_0000, count: 0x3F00), "erased, unwritten bytes read 0xff")
        #expect(device.memory.isErased(0x0800_3F00 + 5000, count: 0x4000))
        #expect(device.erasedSectors == [0x0800_0000, 0x0800_4000, 0x0801_0000])
        #expect(machine.bytesDone == 5512)
        let ends = actions.compactMap { if case .download(let block, let data) = $0, data.isEmpty { block } else { nil } }
        #expect(ends == [2], "one zero-length DNLOAD, numbered 2")
        #expect(device.commands.last == .setAddress(0x0800_3F00))
    }

    @Test func eraseReportsItsPollTimeoutAndEachCommandCompletesOnTheSecondGetStatus() {
        var device = Self.device { $0.erasePollTimeoutMilliseconds = 40 }
        #expect(device.handle(request: 1, value: 0, length: 5, data: DfuSeCommand.erase(0x0800_4000).bytes) == .accepted)
        #expect(device.state == .downloadSync)
        guard case .data(let first) = device.handle(request: 3, value: 0, length: 6, data: []) else { Issue.record("no status"); return }
        #expect(DfuSeStatus(first) == DfuSeStatus(status: .ok, state: .downloadBusy, poll: 40))
        guard case .data(let second) = device.handle(request: 3, value: 0, length: 6, data: []) else { Issue.record("no status"); return }
        #expect(DfuSeStatus(second) == DfuSeStatus(status: .ok, state: .downloadIdle, poll: 0))
        #expect(device.erasedSectors == [0x0800_4000])

        var machine = DFUDownloadMachine(steps: [DfuSeCommand.erase(0x0800_8000).step], ending: .none)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.notManifested))
        #expect(actions.contains(.wait(milliseconds: 40)))
        #expect(device.state == .downloadIdle, "ready for the next command")
    }

    @Test func writingWithoutEraseIsRefusedWithErrCheckErased() throws {
        let segment = FirmwareSegment(address: 0x0800_0000, data: Self.bytes(100))
        let plan = try DfuSeDownloadPlan(segments: [segment], layout: Self.layouts[0]!, transferSize: 2048, erase: .none)
        var device = Self.device()
        var machine = plan.machine()
        let (last, _) = runMachine(&machine, against: &device)
        #expect(last == .failed(.deviceError(.errCheckErased, state: .error, at: "block 2 at 0x08000000 (byte 0 of 100)")))
        #expect(device.memory.isErased(0x0800_0000, count: 100), "nothing written")
        #expect(device.state == .error && device.status == .errCheckErased)

        // Erased, then written twice: the second write finds programmed bytes.
        var second = Self.device()
        var first = try DfuSeDownloadPlan(segments: [segment], layout: Self.layouts[0]!, transferSize: 2048).machine()
        #expect(runMachine(&first, against: &second).0 == .finished(.notManifested))
        var again = plan.machine()
        guard case .failed(.deviceError(.errCheckErased, _, _)) = runMachine(&again, against: &second).0 else {
            Issue.record("a second write onto programmed bytes must fail")
            return
        }
        #expect(second.memory.read(0x0800_0000, count: 100) == Self.bytes(100))
    }

    @Test func oneTimeProgrammableMemoryIsWrittenOnlyWhereBlank() throws {
        var device = Self.device()
        device.selectAlternateSetting(2)
        let segment = FirmwareSegment(address: 0x1FFF_7800, data: Self.bytes(32))
        var machine = try DfuSeDownloadPlan(segments: [segment], layout: Self.layouts[2]!, transferSize: 2048).machine()
        #expect(runMachine(&machine, against: &device).0 == .finished(.notManifested))
        #expect(device.memory.read(0x1FFF_7800, count: 32) == Self.bytes(32))
        var erase = DFUDownloadMachine(steps: [DfuSeCommand.erase(0x1FFF_7800).step], ending: .none)
        #expect(runMachine(&erase, against: &device).0
                == .failed(.deviceError(.errTarget, state: .error, at: "command erase sector 0x1fff7800")), "OTP cannot be erased")
    }

    @Test func addressesOutsideTheSelectedMemoryAreErrTargetAndBlocksPastItsEndErrAddress() throws {
        var device = Self.device()
        var outside = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(0x2000_0000).step], ending: .none)
        #expect(runMachine(&outside, against: &device).0
                == .failed(.deviceError(.errTarget, state: .error, at: "command set address pointer to 0x20000000")))
        #expect(device.addressPointer == 0x0800_0000, "the pointer is unchanged")

        // The option bytes are only reachable through alt 1.
        var otherAlternate = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(0x1FFF_C000).step], ending: .none)
        #expect(runMachine(&otherAlternate, against: &device).0
                == .failed(.deviceError(.errTarget, state: .error, at: "command set address pointer to 0x1fffc000")))
        device.selectAlternateSetting(1)
        var selected = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(0x1FFF_C000).step], ending: .none)
        #expect(runMachine(&selected, against: &device).0 == .finished(.notManifested))

        // A block that starts in the last sector and runs past the end of flash.
        device.selectAlternateSetting(0)
        var pastEnd = DFUDownloadMachine(steps: [DfuSeCommand.erase(0x080E_0000).step, DfuSeCommand.setAddress(0x080F_FF00).step,
                                                 DFUDownloadStep(block: 2, data: Self.bytes(0x200), isData: true, summary: "0x080fff00")],
                                         ending: .none)
        #expect(runMachine(&pastEnd, against: &device).0
                == .failed(.deviceError(.errAddress, state: .error, at: "block 2 at 0x080fff00 (byte 0 of 512)")))
    }

    @Test func aFailingEraseIsErrErase() {
        var device = Self.device { $0.failEraseAt = 0x0800_4100 }
        var machine = DFUDownloadMachine(steps: [DfuSeCommand.erase(0x0800_0000).step, DfuSeCommand.erase(0x0800_4000).step], ending: .none)
        #expect(runMachine(&machine, against: &device).0
                == .failed(.deviceError(.errErase, state: .error, at: "command erase sector 0x08004000")))
        #expect(device.erasedSectors == [0x0800_0000])
    }

    @Test func malformedRequestsStallIntoDfuErrorAndClearStatusRecovers() {
        var device = Self.device()
        #expect(device.handle(request: 1, value: 0, length: 2, data: [0x21, 0x00]) == .stall, "set address needs 4 address bytes")
        #expect(device.state == .error && device.status == .errStalledPacket)
        #expect(device.handle(request: 4, value: 0, length: 0, data: []) == .accepted)
        #expect(device.state == .idle)
        #expect(device.handle(request: 1, value: 0, length: 1, data: [0x55]) == .stall, "unknown command")
        _ = device.handle(request: 4, value: 0, length: 0, data: [])
        #expect(device.handle(request: 1, value: 1, length: 4, data: [1, 2, 3, 4]) == .stall, "block 1 is not used")
        _ = device.handle(request: 4, value: 0, length: 0, data: [])
        #expect(device.handle(request: 1, value: 2, length: 4096, data: Self.bytes(4096)) == .stall, "larger than wTransferSize")
        _ = device.handle(request: 4, value: 0, length: 0, data: [])
        #expect(device.handle(request: 0, value: 0, length: 0, data: []) == .stall, "no DETACH in the ROM bootloader")
    }

    @Test func uploadListsTheCommandsAndReadsMemoryFromThePointer() throws {
        var device = Self.device()
        #expect(device.handle(request: 2, value: 0, length: 64, data: []) == .data([0x00, 0x21, 0x41, 0x92]))
        var write = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0800_0000, data: Self.bytes(4000))],
                                          layout: Self.layouts[0]!, transferSize: 2048).machine()
        #expect(runMachine(&write, against: &device).0 == .finished(.notManifested))
        var pointer = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(0x0800_0400).step], ending: .none)
        #expect(runMachine(&pointer, against: &device).0 == .finished(.notManifested))
        #expect(device.handle(request: 2, value: 2, length: 1024, data: []) == .stall, "UPLOAD needs dfuIDLE: ABORT first")
        _ = device.handle(request: 4, value: 0, length: 0, data: [])
        #expect(device.handle(request: 6, value: 0, length: 0, data: []) == .accepted)
        #expect(device.addressPointer == 0x0800_0400, "CLRSTATUS and ABORT keep the pointer")
        // Block n reads at pointer + (n − 2) × wTransferSize (2048), as ST's DFU class computes it.
        #expect(device.handle(request: 2, value: 2, length: 2048, data: []) == .data(Array(Self.bytes(4000)[0x400..<0xC00])))
        #expect(device.state == .uploadIdle)
        #expect(device.handle(request: 2, value: 3, length: 2048, data: [])
                == .data(Array(Self.bytes(4000)[0xC00..<4000]) + [UInt8](repeating: 0xFF, count: 0x1400 - 4000)))
        // A short last request (dfu-util asks for just the bytes left) still starts at the block's address.
        #expect(device.handle(request: 2, value: 3, length: 1024, data: [])
                == .data(Array(Self.bytes(4000)[0xC00..<4000]) + [UInt8](repeating: 0xFF, count: 0x1000 - 4000)))
        // Reading past the end of flash gives what is there: a short packet ends the upload.
        #expect(device.handle(request: 6, value: 0, length: 0, data: []) == .accepted)
        var end = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(0x080F_FFF0).step], ending: .none)
        #expect(runMachine(&end, against: &device).0 == .finished(.notManifested))
        _ = device.handle(request: 6, value: 0, length: 0, data: [])
        #expect(device.handle(request: 2, value: 2, length: 64, data: []) == .data([UInt8](repeating: 0xFF, count: 16)))
        #expect(device.state == .idle)
    }

    @Test func readUnprotectMassErasesAndResets() throws {
        var device = Self.device()
        var write = try DfuSeDownloadPlan(segments: [FirmwareSegment(address: 0x0802_0000, data: Self.bytes(64))],
                                          layout: Self.layouts[0]!, transferSize: 2048).machine()
        #expect(runMachine(&write, against: &device).0 == .finished(.notManifested))
        var unprotect = DFUDownloadMachine(steps: [DfuSeCommand.readUnprotect.step], ending: .none)
        #expect(runMachine(&unprotect, against: &device).0 == .failed(.deviceGone(at: "command read unprotect")))
        #expect(device.exit == .reset)
        #expect(device.memory.isErased(0x0802_0000, count: 64))
    }
}

/// The fields of a GETSTATUS reply the tests compare.
struct DfuSeStatus: Equatable {
    var status: DFUStatusCode
    var state: DFUState
    var poll: UInt32

    init(status: DFUStatusCode, state: DFUState, poll: UInt32) {
        self.status = status
        self.state = state
        self.poll = poll
    }

    init?(_ bytes: [UInt8]) {
        guard let parsed = DFUStatus(bytes: bytes) else { return nil }
        self.init(status: parsed.status, state: parsed.state, poll: parsed.pollTimeoutMilliseconds)
    }
}
