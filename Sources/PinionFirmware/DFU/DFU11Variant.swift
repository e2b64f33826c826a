import Foundation
import PinionUSB

/// DFU 1.1 (`[flash] method = "dfu"`): one image without addresses, in `wTransferSize` blocks
/// numbered from 0 and a zero-length block that manifests it; read back (UPLOAD from block 0)
/// after a manifestation the device stayed on the bus for; left with DFU_DETACH and a USB reset.
struct DFU11Variant: DFUVariant {
    /// The bytes to download: suffix already stripped.
    let image: [UInt8]

    var bytesTotal: Int { image.count }

    func plan(_ session: DFUSession) -> DFUDownloadMachine {
        DFUDownloadMachine(image: image, transferSize: session.transferSize, pollTimeoutCapMilliseconds: session.pollTimeoutCap,
                           manifestationTolerant: session.manifestationTolerant)
    }

    func download(_ plan: DFUDownloadMachine, _ session: DFUSession) async throws(FlashError) -> DFUManifestOutcome {
        var machine = plan
        return try await session.download(&machine, progress: session.progress)
    }

    /// Only a manifested device is still in DFU mode and idle to upload.
    func readsBack(after outcome: DFUManifestOutcome) -> Bool {
        outcome == .manifested
    }

    func readBack(_ plan: DFUDownloadMachine, _ session: DFUSession) async throws(FlashError) {
        session.progress(DFUFlashProgress(stage: .verify, bytesDone: image.count, bytesTotal: image.count))
        let (device, interface, timeout, transferSize, expected) = (session.device, session.interface, session.controlTimeout,
                                                                    session.transferSize, image)
        let read: [UInt8]
        do {
            read = try await device.offload { device -> [UInt8] in
                var bytes: [UInt8] = []
                var block: UInt16 = 0
                while bytes.count < expected.count {
                    let chunk = try device.controlIn(DFUFlasher.request(.upload, interface: interface, value: block, direction: .in,
                                                                        length: UInt16(clamping: transferSize)), timeout: timeout)
                    bytes += chunk
                    block &+= 1
                    if chunk.count < transferSize { break }
                }
                return bytes
            }
        } catch {
            throw FlashError(serial: session.serial, stage: .verify, "read-back failed: \(error)")
        }
        // End the upload so the device is idle again.
        _ = try? await device.offload { try $0.controlOut(DFUFlasher.request(.abort, interface: interface), timeout: timeout) }
        guard Array(read.prefix(expected.count)) == expected else {
            let at = zip(read, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(read.count, expected.count)
            throw FlashError(serial: session.serial, stage: .verify,
                             "read-back differs from the image at byte \(at) (read \(read.count) of \(expected.count) bytes): flash again")
        }
    }

    /// Leave the bootloader: DETACH (ignored by some parts) then a USB reset, as dfu-util -R and
    /// fwupd do. A RAM-only board is left with the port reset alone, as its vendor's runtime does
    /// (libedgetpu). A device that reset itself during manifestation is left alone.
    func leave(_ plan: DFUDownloadMachine, _ session: DFUSession, after outcome: DFUManifestOutcome) async throws(FlashError) -> DFULeave {
        if outcome != .deviceResetDuringManifestation {
            let (interface, timeout) = (session.interface, session.controlTimeout)
            if (session.manifestationTolerant || outcome == .manifested) && !session.settings.bootOnAttach {
                _ = try? await session.device.offload {
                    try $0.controlOut(DFUFlasher.request(DFURequest.detach, interface: interface, value: 1000), timeout: timeout)
                }
            }
            _ = try? await session.device.offload { try $0.reset() }
        }
        return DFULeave(manifest: outcome, manifestTime: .zero)
    }

    func returnsToRuntime(_ plan: DFUDownloadMachine) -> Bool { true }
}
