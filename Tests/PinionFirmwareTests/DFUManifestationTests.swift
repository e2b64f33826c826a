import Foundation
import PinionBoards
import PinionEmulator
@testable import PinionFirmware
import PinionUSB
import Testing

/// How manifestation ends, and what counts as a device that reset itself: only one that left the
/// bus. A stall is read again (a device in dfuERROR stored nothing); a timeout or an I/O error is
/// a failure; a manifestation-intolerant device that goes mute waits for the host's USB reset.
@Suite("DFU manifestation endings")
struct DFUManifestationTests {
    static let image = DFUDownloadMachineTests.image(700)

    static func behaviour(_ change: (inout EmulatedDFUDevice.Behaviour) -> Void) -> EmulatedDFUDevice.Behaviour {
        var behaviour = EmulatedDFUDevice.Behaviour()
        change(&behaviour)
        return behaviour
    }

    /// A machine whose three-byte image is sent and acknowledged (dfuDNLOAD-IDLE): its next
    /// `.accepted` is the zero-length DNLOAD that starts manifestation.
    static func machineWithItsImageSent() -> DFUDownloadMachine {
        var machine = DFUDownloadMachine(image: [1, 2, 3], transferSize: 64)
        _ = machine.next(.start)
        _ = machine.next(.status(DFUStatus(status: .ok, state: .idle)))
        _ = machine.next(.accepted)
        _ = machine.next(.status(DFUStatus(status: .ok, state: .downloadIdle)))
        return machine
    }

    @Test func aStallInManifestationThatLeavesTheDeviceInErrorIsAFailure() {
        var device = EmulatedDFUDevice(behaviour: Self.behaviour { $0.manifestFailure = .errFirmware })
        var machine = DFUDownloadMachine(image: Self.image, transferSize: 256)
        let (last, actions) = runMachine(&machine, against: &device)
        #expect(last == .failed(.manifestationFailed(.errFirmware)), "not a device that reset itself: \(last)")
        #expect(device.stored.isEmpty && device.state == .error)
        #expect(actions.suffix(3) == [.getStatus, .getStatus, last], "the status is read again after the stall")
        if case .failed(let failure) = last {
            #expect(failure.description.contains("errFIRMWARE") && failure.description.contains("not stored"))
        }
    }

    @Test func anIntolerantDeviceThatGoesMuteAfterManifestingWaitsForReset() {
        var device = EmulatedDFUDevice(behaviour: Self.behaviour { $0.manifestationTolerant = false; $0.silentUntilReset = true })
        var machine = DFUDownloadMachine(image: Self.image, transferSize: 256, manifestationTolerant: false)
        let (last, _) = runMachine(&machine, against: &device)
        #expect(last == .finished(.waitingForReset))
        #expect(device.stored == Self.image && device.state == .manifestWaitReset)
    }

    @Test func aTolerantDeviceThatStallsEveryStatusInManifestationIsAFailure() {
        var machine = Self.machineWithItsImageSent()
        #expect(machine.next(.accepted) == .getStatus)
        #expect(machine.next(.stalled) == .getStatus)
        #expect(machine.next(.stalled) == .failed(.manifestationUnconfirmed))
    }

    @Test func aDeviceThatLeavesTheBusAfterAStallResetItself() {
        var machine = Self.machineWithItsImageSent()
        _ = machine.next(.accepted)
        #expect(machine.next(.stalled) == .getStatus)
        #expect(machine.next(.deviceGone) == .finished(.deviceResetDuringManifestation))
    }

    @Test func aTimeoutInManifestationIsAFailureNotAReset() {
        var machine = Self.machineWithItsImageSent()
        _ = machine.next(.accepted)
        #expect(machine.next(.transferFailed("timed out")) == .failed(.transferFailed("timed out", at: "manifestation")))
    }

    @Test func onlyAStallIsAStallAndOnlyAVanishedDeviceIsGone() {
        func event(_ code: USBError.Code) -> DFUDownloadMachine.Event {
            DFUFlasher.perform { throw USBError(code, operation: "control IN") }
        }
        #expect(event(.stall) == .stalled)
        #expect(event(.noDevice) == .deviceGone)
        for code in [USBError.Code.timeout, .io, .overflow, .other] {
            guard case .transferFailed(let detail) = event(code) else { Issue.record("\(code) is not a transfer failure"); continue }
            #expect(detail.contains(code.libusbName))
        }
    }

    @Test func theOutcomeAndVerificationReadAsTheResultLineSaysThem() {
        #expect(DFUManifestOutcome.manifested.summary == "manifested")
        #expect(DFUManifestOutcome.deviceResetDuringManifestation.summary == "reset itself")
        #expect(DFUManifestOutcome.waitingForReset.summary == "waited for reset")
        #expect(DFUVerification.cannotReadBack.summary.contains("cannot read back"))
    }

    // MARK: - On emulated boards, through the flasher

    @Test func aBoardWithoutRunTimeModeThatFailsManifestationIsNotReportedFlashed() async throws {
        let host = EmulatedUSBHost()
        let board = DFUFlasherTests.board("T-1", on: host, ports: [1], mode: .bootloader, model: "pid-codes-test-dfu")
        board.dfuBehaviour = Self.behaviour { $0.manifestFailure = .errVerify }
        board.reenumerate(as: .bootloader)
        do {
            let result = try await DFUFlasher(host: host, catalogue: DFUFlasherTests.catalogue).flash(serial: "T-1", image: Self.image)
            Issue.record("reported flashed (\(result.manifest)) although the board stored nothing")
        } catch {
            #expect(error.stage == .download)
            #expect(error.reason.contains("errVERIFY") && error.reason.contains("not stored"), "\(error)")
        }
        #expect(board.firmware.isEmpty)
    }

    @Test func aBoardWithoutUploadSaysItCannotReadBack() async throws {
        let host = EmulatedUSBHost()
        let board = DFUFlasherTests.board("T-2", on: host, ports: [1], mode: .bootloader, model: "pid-codes-test-dfu")
        let result = try await DFUFlasher(host: host, catalogue: DFUFlasherTests.catalogue).flash(serial: "T-2", image: Self.image)
        #expect(result.manifest == .manifested && result.verification == .cannotReadBack)
        #expect(board.firmware == Self.image)
    }

    @Test func aMuteIntolerantBoardGetsItsUSBResetAndBootsTheImage() async throws {
        let host = EmulatedUSBHost()
        let board = DFUFlasherTests.board("T-3", on: host, ports: [1], mode: .bootloader, model: "coral-usb-accelerator")
        board.dfuBehaviour = Self.behaviour { $0.manifestationTolerant = false; $0.silentUntilReset = true }
        board.reenumerate(as: .bootloader)
        // The Coral's catalogue entry says tolerant (its vendor's runtime expects dfuIDLE after the last
        // block); this board's descriptor is a mute intolerant part's, as a site override would say.
        var boards = DFUFlasherTests.catalogue.boards
        if let index = boards.firstIndex(where: { $0.id == "coral-usb-accelerator" }) { boards[index].flash.manifestationTolerant = false }
        let result = try await DFUFlasher(host: host, catalogue: BoardCatalogue(boards: boards)).flash(serial: "T-3", image: Self.image)
        #expect(result.manifest == .waitingForReset)
        // A silent part comes back only when reset: that it runs the image proves the host reset it
        // (without the reset the flash would have failed after the 25 s re-enumeration timeout).
        #expect(board.currentMode == .runtime && board.firmware == Self.image)
    }
}
