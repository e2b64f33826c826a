import PinionEmulator
import PinionFirmware
import Testing

/// The host's DFU download machine, driven directly (tables) and against the emulated device's
/// state machine (both values, no I/O, no clock).
@Suite("DFU download state machine")
struct DFUDownloadMachineTests {
    static func image(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test(arguments: [1, 4095, 4096, 4097, 3 * 4096 + 17])
    func downloadsAnImageOfAnySizeAndManifestsIt(size: Int) {
        let image = Self.image(size)
        var device = EmulatedDFUDevice()
        var machine = DFUDownloadMachine(image: image, transferSize: 4096)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.manifested))
        #expect(device.stored == image)
        #expect(device.state == .idle)
        #expect(machine.bytesDone == size)
        let blocks = actions.compactMap { if case .download(let block, let data) = $0 { (block, data.count) } else { nil } }
        #expect(blocks.map(\.0) == Array(0...UInt16((size + 4095) / 4096)), "blocks numbered from 0, then the zero-length end")
        #expect(blocks.last?.1 == 0)
    }

    @Test func busyDeviceIsPolledAfterItsPollTimeout() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.busyPolls = 2
        behaviour.pollTimeoutMilliseconds = 30
        var device = EmulatedDFUDevice(behaviour: behaviour)
        var machine = DFUDownloadMachine(image: Self.image(8192), transferSize: 4096)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.manifested))
        let waits = actions.filter { $0 == .wait(milliseconds: 30) }.count
        #expect(waits == 2 * 2 + 1, "two busy polls per block, one in manifestation")
    }

    @Test func absurdPollTimeoutsAreCapped() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.busyPolls = 1
        behaviour.pollTimeoutMilliseconds = 0xFF_FFFF
        var device = EmulatedDFUDevice(behaviour: behaviour)
        var machine = DFUDownloadMachine(image: Self.image(10), transferSize: 4096, pollTimeoutCapMilliseconds: 50)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .finished(.manifested))
        #expect(actions.contains(.wait(milliseconds: 50)))
        #expect(!actions.contains(.wait(milliseconds: 0xFF_FFFF)))
    }

    @Test func failingBlockIsReportedWithItsStatusAndPlace() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.failBlock = 2
        var device = EmulatedDFUDevice(behaviour: behaviour)
        var machine = DFUDownloadMachine(image: Self.image(5 * 1024), transferSize: 1024)
        let (last, _) = runMachine(&machine, against: &device)
        guard case .failed(let failure) = last else { Issue.record("expected a failure, got \(last)"); return }
        #expect(failure == .deviceError(.errWrite, state: .error, at: "block 2 (byte 2048 of 5120)"))
        #expect(failure.description.contains("errWRITE") && failure.description.contains("could not write"))
        #expect(device.state == .error)
        #expect(device.manifestations == 0, "nothing manifested after a failed block")
    }

    @Test func aDeviceLeftInErrorIsClearedFirstAndAFlashRecovers() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.failBlock = 0
        var failing = EmulatedDFUDevice(behaviour: behaviour)
        var first = DFUDownloadMachine(image: Self.image(100), transferSize: 64)
        _ = runMachine(&first, against: &failing)
        #expect(failing.state == .error)
        // The same part, now healthy, still in dfuERROR from the interrupted attempt.
        var device = EmulatedDFUDevice()
        _ = device.handle(request: 1, value: 0, length: 0, data: [])  // a stray zero-length DNLOAD in dfuIDLE stalls
        #expect(device.state == .error && device.status == .errStalledPacket)
        var machine = DFUDownloadMachine(image: Self.image(100), transferSize: 64)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(actions.prefix(3) == [.getStatus, .clearStatus, .getStatus])
        #expect(last == .finished(.manifested))
        #expect(device.stored == Self.image(100))
    }

    @Test func aDownloadLeftHalfWayIsAbortedFirst() {
        var device = EmulatedDFUDevice()
        _ = device.handle(request: 1, value: 0, length: 4, data: [1, 2, 3, 4])
        _ = device.handle(request: 3, value: 0, length: 6, data: [])
        #expect(device.state == .downloadIdle)
        var machine = DFUDownloadMachine(image: Self.image(10), transferSize: 64)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(actions.prefix(3) == [.getStatus, .abort, .getStatus])
        #expect(last == .finished(.manifested))
        #expect(device.stored == Self.image(10), "the half-finished download is not mixed in")
    }

    @Test func manifestationIntolerantDeviceWaitsForReset() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.manifestationTolerant = false
        var device = EmulatedDFUDevice(behaviour: behaviour)
        var machine = DFUDownloadMachine(image: Self.image(300), transferSize: 128)
        let (last, _) = runMachine(&machine, against: &device)
        #expect(last == .finished(.waitingForReset))
        #expect(device.state == .manifestWaitReset)
        #expect(device.stored == Self.image(300))
    }

    @Test func deviceThatResetsDuringManifestationIsSuccessPending() {
        var machine = DFUDownloadMachine(image: [1, 2, 3], transferSize: 64)
        #expect(machine.next(.start) == .getStatus)
        #expect(machine.next(.status(DFUStatus(status: .ok, state: .idle))) == .download(block: 0, data: [1, 2, 3]))
        #expect(machine.next(.accepted) == .getStatus)
        #expect(machine.next(.status(DFUStatus(status: .ok, state: .downloadIdle))) == .download(block: 1, data: []))
        #expect(machine.next(.accepted) == .getStatus)
        #expect(machine.next(.deviceGone) == .finished(.deviceResetDuringManifestation),
                "a reset right after the last block is success pending, confirmed after re-enumeration")
    }

    @Test func runTimeModeIsRefusedWithAdvice() {
        var machine = DFUDownloadMachine(image: [1], transferSize: 64)
        _ = machine.next(.start)
        let action = machine.next(.status(DFUStatus(status: .ok, state: .appIdle)))
        guard case .failed(let failure) = action else { Issue.record("expected failure"); return }
        #expect(failure.description.contains("run-time mode") && failure.description.contains("detach"))
    }

    @Test func unplugMidDownloadNamesTheBlock() {
        var machine = DFUDownloadMachine(image: Self.image(300), transferSize: 100)
        _ = machine.next(.start)
        _ = machine.next(.status(DFUStatus(status: .ok, state: .idle)))
        _ = machine.next(.accepted)
        _ = machine.next(.status(DFUStatus(status: .ok, state: .downloadIdle)))
        let action = machine.next(.deviceGone)
        #expect(action == .failed(.deviceGone(at: "block 1 (byte 100 of 300)")))
        #expect(machine.isOver)
    }

    @Test(arguments: DFUStatusCode.allCases.filter { $0 != .ok })
    func everyErrorStatusFailsWithItsMeaning(code: DFUStatusCode) {
        var machine = DFUDownloadMachine(image: Self.image(10), transferSize: 64)
        _ = machine.next(.start)
        _ = machine.next(.status(DFUStatus(status: .ok, state: .idle)))
        _ = machine.next(.accepted)
        let action = machine.next(.status(DFUStatus(status: code, state: .error)))
        guard case .failed(let failure) = action else { Issue.record("expected failure for \(code.name)"); return }
        #expect(failure.description.contains(code.name))
        #expect(failure.description.contains(code.meaning))
        #expect(!code.meaning.isEmpty)
    }

    @Test func blockNumbersWrapAtSixteenBits() {
        let machine = DFUDownloadMachine(image: [UInt8](repeating: 0xA5, count: 65_538), transferSize: 1)
        #expect(machine.steps[65_535].block == 65_535)
        #expect(machine.steps[65_536].block == 0)
        #expect(machine.steps[65_537].block == 1)
    }

    @Test func statusBytesRoundTripAndRejectGarbage() {
        let status = DFUStatus(status: .errVerify, pollTimeoutMilliseconds: 0x01_0203, state: .error, stringIndex: 4)
        #expect(status.bytes == [0x07, 0x03, 0x02, 0x01, 10, 4])
        #expect(DFUStatus(bytes: status.bytes) == status)
        #expect(DFUStatus(bytes: [0, 0, 0]) == nil, "short reply")
        #expect(DFUStatus(bytes: [0x42, 0, 0, 0, 2, 0]) == nil, "unknown bStatus")
        #expect(DFUStatus(bytes: [0, 0, 0, 0, 11, 0]) == nil, "unknown bState")
    }
}

/// The emulated bootloader's own transitions (DFU 1.1 appendix A), each request in each state.
@Suite("Emulated DFU device states")
struct EmulatedDFUDeviceTests {
    @Test func requestsNotAllowedInAStateStallIntoError() {
        for request: UInt8 in [4, 0] {  // CLRSTATUS in dfuIDLE, DETACH in DFU mode
            var device = EmulatedDFUDevice()
            #expect(device.handle(request: request, value: 0, length: 0, data: []) == .stall)
            #expect(device.state == .error && device.status == .errStalledPacket)
        }
        var device = EmulatedDFUDevice()
        #expect(device.handle(request: 1, value: 0, length: 5000, data: [UInt8](repeating: 0, count: 5000)) == .stall,
                "a block larger than wTransferSize")
    }

    @Test func uploadReturnsTheStoredImageAndEndsWithAShortPacket() {
        var device = EmulatedDFUDevice(stored: Array(0..<100))
        guard case .data(let first) = device.handle(request: 2, value: 0, length: 64, data: []) else { Issue.record("no data"); return }
        #expect(first == Array(0..<64) && device.state == .uploadIdle)
        guard case .data(let second) = device.handle(request: 2, value: 1, length: 64, data: []) else { Issue.record("no data"); return }
        #expect(second == Array(64..<100) && device.state == .idle)
    }

    @Test func uploadIsRefusedWhenTheDeviceCannot() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.canUpload = false
        var device = EmulatedDFUDevice(behaviour: behaviour, stored: [1, 2, 3])
        #expect(device.handle(request: 2, value: 0, length: 64, data: []) == .stall)
    }

    @Test func outOfOrderBlockIsErrNotDone() {
        var device = EmulatedDFUDevice()
        _ = device.handle(request: 1, value: 0, length: 4, data: [1, 2, 3, 4])
        _ = device.handle(request: 3, value: 0, length: 6, data: [])
        #expect(device.handle(request: 1, value: 5, length: 4, data: [1, 2, 3, 4]) == .stall)
        #expect(device.status == .errNotDone)
    }

    @Test func imageLargerThanTheDeviceIsErrAddress() {
        var behaviour = EmulatedDFUDevice.Behaviour()
        behaviour.capacity = 8
        var device = EmulatedDFUDevice(behaviour: behaviour)
        var machine = DFUDownloadMachine(image: [UInt8](repeating: 1, count: 12), transferSize: 4)
        let (last, _) = runMachine(&machine, against: &device)
        guard case .failed(.deviceError(let code, _, _)) = last else { Issue.record("expected errADDRESS, got \(last)"); return }
        #expect(code == .errAddress)
    }

    @Test func getStateReportsWithoutChangingState() {
        var device = EmulatedDFUDevice()
        #expect(device.handle(request: 5, value: 0, length: 1, data: []) == .data([DFUState.idle.rawValue]))
        #expect(device.state == .idle)
    }
}
