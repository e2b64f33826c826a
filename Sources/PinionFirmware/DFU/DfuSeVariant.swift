import Foundation
import PinionBoards
import PinionUSB

/// DfuSe (`[flash] method = "dfuse"`, STM32 system bootloader, AN3156): addressed segments,
/// planned onto the memory layout of each alternate setting (`DfuSeFlashPlan`) before anything
/// is written; per alternate setting, erase commands, set-address commands and data blocks from 2,
/// without manifestation; read back segment by segment; left by the leave request (set address
/// to the first segment's, zero-length DNLOAD 2), after which the part jumps there.
struct DfuSeVariant: DFUVariant {
    let segments: [FirmwareSegment]

    var bytesTotal: Int { segments.reduce(0) { $0 + $1.data.count } }

    /// libusb hangs the functional descriptor on one alternate setting (often the last): look at all.
    func functionalDescriptor(of info: USBDeviceInfo, interface: UInt8,
                              first: DFUFunctionalDescriptor?) -> DFUFunctionalDescriptor? {
        first ?? info.interfaceSettings.lazy.filter { $0.isDFU && $0.interfaceNumber == interface }.compactMap(\.dfuFunctional).first
    }

    /// Reads every alternate setting's memory layout and plans the segments onto them.
    func plan(_ session: DFUSession) async throws(FlashError) -> DfuSeFlashPlan {
        let (layouts, unreadable) = await memoryLayouts(session)
        do {
            return try DfuSeFlashPlan(segments: segments, layouts: layouts, transferSize: session.transferSize)
        } catch {
            let notes = unreadable.isEmpty ? "" : " (unusable memory layouts: \(unreadable.joined(separator: "; ")))"
            throw FlashError(serial: session.serial, stage: .download, "refused before writing anything: \(error)\(notes)")
        }
    }

    /// Writes each phase through its alternate setting; progress counts the bytes over all phases.
    func download(_ plan: DfuSeFlashPlan, _ session: DFUSession) async throws(FlashError) -> DFUManifestOutcome {
        var written = 0
        for phase in plan.phases {
            try await select(phase, session)
            var machine = phase.plan.machine(pollTimeoutCapMilliseconds: session.pollTimeoutCap)
            let outcome = try await session.download(&machine, bytesBefore: written, bytesTotal: plan.dataBytes,
                                                      progress: session.progress)
            guard outcome == .notManifested else {
                throw FlashError(serial: session.serial, stage: .download, "the device ended the download early (\(outcome.rawValue)) "
                                 + "while writing through alt \(phase.alternateSetting): power-cycle it into its bootloader and flash again")
            }
            written += phase.plan.dataBytes
        }
        return .notManifested
    }

    /// The writes end in dfuDNLOAD-IDLE: the device can always upload after them.
    func readsBack(after outcome: DFUManifestOutcome) -> Bool { true }

    /// Reads every written segment back (set address pointer, ABORT to dfuIDLE, UPLOAD blocks from
    /// 2) and compares; throws naming the first differing address.
    func readBack(_ plan: DfuSeFlashPlan, _ session: DFUSession) async throws(FlashError) {
        session.progress(DFUFlashProgress(stage: .verify, bytesDone: 0, bytesTotal: plan.dataBytes))
        let (interface, transferSize, timeout, cap) = (session.interface, session.transferSize, session.controlTimeout,
                                                       session.pollTimeoutCap)
        var checked = 0
        for phase in plan.phases {
            try await select(phase, session)
            for segment in phase.segments {
                guard let address = segment.address else { continue }
                let count = segment.data.count
                let result: Result<[UInt8], DFUDownloadFailure>
                do {
                    result = try await session.device.offload { device in
                        Self.upload(device: device, interface: interface, address: address, count: count, transferSize: transferSize,
                                    timeout: timeout, cap: cap)
                    }
                } catch {
                    throw FlashError(serial: session.serial, stage: .verify, "read-back at \(Hex.u32(address)) failed: \(error)")
                }
                let read: [UInt8]
                switch result {
                case .success(let bytes): read = bytes
                case .failure(let failure):
                    throw FlashError(serial: session.serial, stage: .verify, "read-back at \(Hex.u32(address)) failed: \(failure)")
                }
                if read != segment.data {
                    let at = zip(read, segment.data).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(read.count, count)
                    let found = at < read.count ? "read 0x\(Hex.padded(UInt64(read[at]), 2))" : "read only \(read.count) bytes"
                    throw FlashError(serial: session.serial, stage: .verify,
                                     "read-back differs from the image at \(Hex.u32(address &+ UInt32(truncatingIfNeeded: at))) "
                                     + "(\(found), wrote 0x\(Hex.padded(UInt64(segment.data[at]), 2))): flash again")
                }
                checked += count
                session.progress(DFUFlashProgress(stage: .verify, bytesDone: checked, bytesTotal: plan.dataBytes))
            }
        }
    }

    /// Sends the leave request through the setting that holds the start address; a part that
    /// stays on the bus after it gets a USB reset, as dfu-util -R does.
    func leave(_ plan: DfuSeFlashPlan, _ session: DFUSession, after outcome: DFUManifestOutcome) async throws(FlashError) -> DFULeave {
        guard let leave = plan.leave else { return DFULeave(manifest: outcome, manifestTime: .zero) }
        let started = ContinuousClock.now
        try await select(leave, session)
        var machine = leave.plan.machine(pollTimeoutCapMilliseconds: session.pollTimeoutCap,
                                         manifestationTolerant: session.manifestationTolerant)
        let manifest = try await session.download(&machine, progress: { _ in })
        let manifestTime = ContinuousClock.now - started
        if manifest == .manifested || manifest == .waitingForReset {
            _ = try? await session.device.offload { try $0.reset() }
        }
        return DFULeave(manifest: manifest, manifestTime: manifestTime)
    }

    /// Only a part that was sent the leave request runs its new firmware.
    func returnsToRuntime(_ plan: DfuSeFlashPlan) -> Bool { plan.leave != nil }

    /// Each DFU-mode alternate setting's memory layout, from its string; the settings whose
    /// string is missing or unreadable are listed, one note each.
    private func memoryLayouts(_ session: DFUSession) async -> ([UInt8: DfuSeMemoryLayout], [String]) {
        let interface = session.interface, timeout = session.controlTimeout
        let settings = session.info.interfaceSettings.filter { $0.isDFU && $0.interfaceProtocol == 2 && $0.interfaceNumber == interface }
        var layouts: [UInt8: DfuSeMemoryLayout] = [:]
        var unreadable: [String] = []
        for setting in settings {
            let alternate = setting.alternateSetting
            guard setting.descriptionIndex != 0 else {
                unreadable.append("alt \(alternate) has no name string")
                continue
            }
            let index = setting.descriptionIndex
            let name: String?
            do {
                name = try await session.device.offload { try $0.readString(index: index, timeout: timeout) }
            } catch {
                unreadable.append("alt \(alternate): cannot read string \(index): \(error)")
                continue
            }
            do throws(DfuSeLayoutError) {
                layouts[alternate] = try DfuSeMemoryLayout.parse(name ?? "")
            } catch {
                unreadable.append("alt \(alternate): \(error)")
            }
        }
        return (layouts, unreadable)
    }

    /// SET_INTERFACE to the phase's alternate setting.
    private func select(_ phase: DfuSeFlashPlan.Phase, _ session: DFUSession) async throws(FlashError) {
        let (alternate, interface) = (phase.alternateSetting, session.interface)
        do {
            try await session.device.offload { try $0.setAlternateSetting(interface: interface, alternate: alternate) }
        } catch {
            throw FlashError(serial: session.serial, stage: .download,
                             "cannot select alt \(alternate) (\(phase.layout)) of interface \(interface): \(error)")
        }
    }

    /// Reads `count` bytes at `address` with blocking transfers. UPLOAD block n reads at
    /// pointer + (n − 2) × wLength, so full blocks run from one pointer and a short tail gets a
    /// pointer of its own.
    private static func upload(device: USBDevice, interface: UInt8, address: UInt32, count: Int, transferSize: Int,
                               timeout: Duration, cap: UInt32) -> Result<[UInt8], DFUDownloadFailure> {
        var bytes: [UInt8] = []
        var block = Int.max
        while bytes.count < count {
            let length = min(transferSize, count - bytes.count)
            if block > Int(UInt16.max) || length < transferSize {
                var pointer = DFUDownloadMachine(steps: [DfuSeCommand.setAddress(address &+ UInt32(truncatingIfNeeded: bytes.count)).step],
                                                 ending: .none, pollTimeoutCapMilliseconds: cap)
                if case .failure(let failure) = DFUFlasher.runDownload(&pointer, device: device, interface: interface, timeout: timeout,
                                                                       progress: { _ in }) {
                    return .failure(failure)
                }
                // UPLOAD starts from dfuIDLE.
                do {
                    try device.controlOut(DFUFlasher.request(.abort, interface: interface), timeout: timeout)
                } catch {
                    return .failure(.protocolViolation("ABORT before UPLOAD failed: \(error)"))
                }
                block = 2
            }
            let chunk: [UInt8]
            do {
                chunk = try device.controlIn(DFUFlasher.request(.upload, interface: interface, value: UInt16(block), direction: .in,
                                                                length: UInt16(clamping: length)), timeout: timeout)
            } catch {
                let at = "UPLOAD block \(block) (\(Hex.u32(address &+ UInt32(truncatingIfNeeded: bytes.count))))"
                if error.code == .noDevice { return .failure(.deviceGone(at: at)) }
                // A refused UPLOAD stalls; the status says why (errTARGET: not readable memory).
                let status = (try? device.controlIn(DFUFlasher.request(.getStatus, interface: interface, direction: .in, length: 6),
                                                    timeout: timeout))
                    .flatMap(DFUStatus.init(bytes:))
                guard let status, status.status != .ok else { return .failure(.protocolViolation("\(at) failed: \(error)")) }
                return .failure(.deviceError(status.status, state: status.state, at: at))
            }
            bytes += chunk
            block += 1
            if chunk.count < length { break }
        }
        // Leave the upload so the device is idle for what follows.
        _ = try? device.controlOut(DFUFlasher.request(.abort, interface: interface), timeout: timeout)
        return .success(bytes)
    }
}
