import PinionEmulator
import PinionFirmware
import Testing

/// How a download ends: DFU 1.1's zero-length block after the last one (the default, covered by
/// the machine's own tests), a zero-length block with a given number (DfuSe leave), or none.
@Suite("DFU download endings")
struct DFUDownloadEndingTests {
    static func steps(_ blocks: Int) -> [DFUDownloadStep] {
        (0..<blocks).map { DFUDownloadStep(block: UInt16($0), data: DFUDownloadMachineTests.image(100), isData: true) }
    }

    static func zeroLengthBlocks(_ actions: [DFUDownloadMachine.Action]) -> [UInt16] {
        actions.compactMap { if case .download(let block, let data) = $0, data.isEmpty { block } else { nil } }
    }

    @Test func theDefaultEndIsNumberedAfterTheLastStep() {
        var device = EmulatedDFUDevice()
        var machine = DFUDownloadMachine(steps: Self.steps(3))
        #expect(machine.ending == .manifest)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.manifested))
        #expect(Self.zeroLengthBlocks(actions) == [3])
    }

    @Test func aGivenBlockNumberIsSentAsIs() {
        var device = EmulatedDFUDevice()
        var machine = DFUDownloadMachine(steps: Self.steps(3), ending: .manifestWithBlock(2))
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.manifested))
        #expect(Self.zeroLengthBlocks(actions) == [2])
        #expect(device.stored.count == 300)
    }

    @Test func withoutAnEndTheDeviceIsLeftInDownloadIdleAndNothingIsManifested() {
        var device = EmulatedDFUDevice()
        var machine = DFUDownloadMachine(steps: Self.steps(2), ending: .none)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.notManifested))
        #expect(Self.zeroLengthBlocks(actions).isEmpty)
        #expect(device.state == .downloadIdle && device.manifestations == 0)
        #expect(machine.bytesDone == 200 && machine.isOver)

        var empty = DFUDownloadMachine(steps: [], ending: .none)
        #expect(empty.next(.start) == .getStatus)
        #expect(empty.next(.status(DFUStatus(status: .ok, state: .idle))) == .finished(.notManifested))
    }
}
