import Foundation
import PinionBoards
import PinionSystem
import PinionUSB

extension DFUFlasher {
    /// Flashes `segments` onto the board with `serial`, by the board's `[flash] method`:
    ///
    /// - `dfuse` (STM32 system bootloader, AN3156): reads the memory layout of each alternate
    ///   setting, refuses segments outside writable memory before writing anything, then per
    ///   alternate setting erases the sectors the segments touch, writes them at their addresses,
    ///   reads them back (UPLOAD) when `verify` and the board can upload, and finally leaves DFU
    ///   mode to the first segment's address (the device jumps there and leaves the bus).
    /// - `dfu`: one segment without an address, downloaded as `flash(serial:image:)` does.
    ///
    /// Transfers run on a thread of their own (`USBDevice.offload`), as for DFU 1.1.
    public func flash(serial: String, segments: [FirmwareSegment], verify: Bool = true,
                      progress: @escaping @Sendable (DFUFlashProgress) -> Void = { _ in }) async throws(FlashError) -> DFUFlashResult {
        let found = try await find(serial: serial)
        let board = found.1
        switch board.flash.method {
        case .dfuse:
            return try await flashDfuSe(found, serial: serial, segments: segments, verify: verify, progress: progress)
        case .dfu:
            guard segments.count == 1, let only = segments.first, only.address == nil else {
                let addressed = segments.first { $0.address != nil }?.address.map { " (one at \(Hex.u32($0)))" } ?? ""
                throw FlashError(serial: serial, stage: .probe,
                                 "board \(board.id) flashes with DFU 1.1, which takes one image without addresses; "
                                 + "this one has \(segments.count) segments\(addressed): use the image built for this board")
            }
            return try await flash(found, serial: serial, image: only.data, verify: verify, progress: progress)
        case .none:
            throw FlashError(serial: serial, stage: .probe, "board \(board.id) cannot be flashed by Pinion ([flash] method = \"none\")")
        }
    }

    /// Flashes a loaded image (`FirmwareImage.load(path:)`): its segments, as `flash(serial:segments:)` does.
    public func flash(serial: String, firmware: FirmwareImage, verify: Bool = true,
                      progress: @escaping @Sendable (DFUFlashProgress) -> Void = { _ in }) async throws(FlashError) -> DFUFlashResult {
        try await flash(serial: serial, segments: firmware.segments, verify: verify, progress: progress)
    }

    private func flashDfuSe(_ found: (USBDeviceInfo, BoardDescriptor, BoardMode), serial: String, segments: [FirmwareSegment],
                            verify: Bool, progress: @escaping @Sendable (DFUFlashProgress) -> Void) async throws(FlashError) -> DFUFlashResult {
        let started = ContinuousClock.now
        var (info, board, mode) = found
        let settings = board.flash
        let total = segments.reduce(0) { $0 + $1.data.count }
        let reenumerationTimeout = Duration.milliseconds(Int(settings.reenumerationTimeoutSeconds * 1000))
        if mode == .runtime {
            progress(DFUFlashProgress(stage: .detach, bytesDone: 0, bytesTotal: total))
            try await detach(info, settings: settings, serial: serial)
            (info, mode) = try await waitFor(serial: serial, mode: .bootloader, timeout: reenumerationTimeout, stage: .detach)
        }
        let device = try open(info, serial: serial, stage: .download)
        defer { device.close() }
        let (interface, first) = try dfuInterface(of: info, protocol: 2, serial: serial)
        // libusb hangs the functional descriptor on one alternate setting (often the last): look at all.
        let functional = first ?? info.interfaceSettings.lazy.filter { $0.isDFU && $0.interfaceNumber == interface }.compactMap(\.dfuFunctional).first
        let transferSize = settings.transferSize ?? Int(functional?.transferSize ?? 1024)
        let control = Duration.milliseconds(settings.controlTimeoutMilliseconds)
        let cap = UInt32(clamping: settings.pollTimeoutCapMilliseconds)
        let (layouts, unreadable) = await memoryLayouts(of: info, device: device, interface: interface, timeout: control)

        let plan: DfuSeFlashPlan
        do {
            plan = try DfuSeFlashPlan(segments: segments, layouts: layouts, transferSize: transferSize)
        } catch {
            let notes = unreadable.isEmpty ? "" : " (unusable memory layouts: \(unreadable.joined(separator: "; ")))"
            throw FlashError(serial: serial, stage: .download, "refused before writing anything: \(error)\(notes)")
        }
        do {
            try await device.offload { try $0.claimInterface(interface) }
        } catch {
            throw FlashError(serial: serial, stage: .download, "cannot claim DFU interface \(interface): \(error)")
        }

        var downloadTime = Duration.zero
        var written = 0
        for phase in plan.phases {
            let phaseStarted = ContinuousClock.now
            try await select(phase, device: device, interface: interface, serial: serial)
            var machine = phase.plan.machine(pollTimeoutCapMilliseconds: cap)
            let outcome = try await download(&machine, device: device, interface: interface, timeout: control, serial: serial,
                                             bytesBefore: written, bytesTotal: plan.dataBytes, progress: progress)
            guard outcome == .notManifested else {
                throw FlashError(serial: serial, stage: .download, "the device ended the download early (\(outcome.rawValue)) "
                                 + "while writing through alt \(phase.alternateSetting): power-cycle it into its bootloader and flash again")
            }
            written += phase.plan.dataBytes
            downloadTime += ContinuousClock.now - phaseStarted
        }

        let canUpload = settings.canUpload ?? functional?.canUpload ?? false
        var verified: DFUVerification = canUpload ? .notChecked : .cannotReadBack
        if verify, canUpload {
            progress(DFUFlashProgress(stage: .verify, bytesDone: 0, bytesTotal: plan.dataBytes))
            try await readBack(plan, device: device, interface: interface, transferSize: transferSize, timeout: control,
                               cap: cap, serial: serial, progress: progress)
            verified = .readBack
        }

        progress(DFUFlashProgress(stage: .reboot, bytesDone: plan.dataBytes, bytesTotal: plan.dataBytes))
        var outcome = DFUManifestOutcome.notManifested
        if let leave = plan.leave {
            let leaveStarted = ContinuousClock.now
            try await select(leave, device: device, interface: interface, serial: serial)
            var machine = leave.plan.machine(pollTimeoutCapMilliseconds: cap,
                                             manifestationTolerant: settings.manifestationTolerant ?? functional?.manifestationTolerant ?? true)
            outcome = try await download(&machine, device: device, interface: interface, timeout: control, serial: serial,
                                         progress: { _ in })
            downloadTime += ContinuousClock.now - leaveStarted
            if outcome == .manifested || outcome == .waitingForReset {
                // It stayed on the bus: a USB reset starts the new firmware, as dfu-util -R does.
                _ = try? await device.offload { try $0.reset() }
            }
        }
        var version: String?
        if board.runtime != nil, plan.leave != nil {
            let (runtime, _) = try await waitFor(serial: serial, mode: .runtime, timeout: reenumerationTimeout, stage: .reboot)
            version = BoardInventory(catalogue: catalogue).identify(runtime).deviceVersion
        }
        return DFUFlashResult(serial: serial, board: board.id, bytes: plan.dataBytes, manifest: outcome, verification: verified,
                              runtimeVersion: version, seconds: (ContinuousClock.now - started).inSeconds,
                              downloadSeconds: downloadTime.inSeconds)
    }

    /// Each DFU-mode alternate setting's memory layout, from its string; the settings whose
    /// string is missing or unreadable are listed, one note each.
    private func memoryLayouts(of info: USBDeviceInfo, device: USBDevice, interface: UInt8,
                               timeout: Duration) async -> ([UInt8: DfuSeMemoryLayout], [String]) {
        let settings = info.interfaceSettings.filter { $0.isDFU && $0.interfaceProtocol == 2 && $0.interfaceNumber == interface }
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
                name = try await device.offload { try $0.readString(index: index, timeout: timeout) }
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
    private func select(_ phase: DfuSeFlashPlan.Phase, device: USBDevice, interface: UInt8, serial: String) async throws(FlashError) {
        let alternate = phase.alternateSetting
        do {
            try await device.offload { try $0.setAlternateSetting(interface: interface, alternate: alternate) }
        } catch {
            throw FlashError(serial: serial, stage: .download, "cannot select alt \(alternate) (\(phase.layout)) of interface \(interface): \(error)")
        }
    }

    /// Reads every written segment back (set address pointer, ABORT to dfuIDLE, UPLOAD blocks from
    /// 2) and compares; throws naming the first differing address.
    private func readBack(_ plan: DfuSeFlashPlan, device: USBDevice, interface: UInt8, transferSize: Int, timeout: Duration,
                          cap: UInt32, serial: String, progress: @escaping @Sendable (DFUFlashProgress) -> Void) async throws(FlashError) {
        var checked = 0
        for phase in plan.phases {
            try await select(phase, device: device, interface: interface, serial: serial)
            for segment in phase.segments {
                guard let address = segment.address else { continue }
                let count = segment.data.count
                let result: Result<[UInt8], DFUDownloadFailure>
                do {
                    result = try await device.offload { device in
                        Self.upload(device: device, interface: interface, address: address, count: count, transferSize: transferSize,
                                    timeout: timeout, cap: cap)
                    }
                } catch {
                    throw FlashError(serial: serial, stage: .verify, "read-back at \(Hex.u32(address)) failed: \(error)")
                }
                let read: [UInt8]
                switch result {
                case .success(let bytes): read = bytes
                case .failure(let failure): throw FlashError(serial: serial, stage: .verify, "read-back at \(Hex.u32(address)) failed: \(failure)")
                }
                if read != segment.data {
                    let at = zip(read, segment.data).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(read.count, count)
                    let found = at < read.count ? "read 0x\(Hex.padded(UInt64(read[at]), 2))" : "read only \(read.count) bytes"
                    throw FlashError(serial: serial, stage: .verify,
                                     "read-back differs from the image at \(Hex.u32(address &+ UInt32(truncatingIfNeeded: at))) "
                                     + "(\(found), wrote 0x\(Hex.padded(UInt64(segment.data[at]), 2))): flash again")
                }
                checked += count
                progress(DFUFlashProgress(stage: .verify, bytesDone: checked, bytesTotal: plan.dataBytes))
            }
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
                if case .failure(let failure) = runDownload(&pointer, device: device, interface: interface, timeout: timeout,
                                                            progress: { _ in }) {
                    return .failure(failure)
                }
                // UPLOAD starts from dfuIDLE.
                do {
                    try device.controlOut(request(.abort, interface: interface), timeout: timeout)
                } catch {
                    return .failure(.protocolViolation("ABORT before UPLOAD failed: \(error)"))
                }
                block = 2
            }
            let chunk: [UInt8]
            do {
                chunk = try device.controlIn(request(.upload, interface: interface, value: UInt16(block), direction: .in,
                                                     length: UInt16(clamping: length)), timeout: timeout)
            } catch {
                let at = "UPLOAD block \(block) (\(Hex.u32(address &+ UInt32(truncatingIfNeeded: bytes.count))))"
                if error.code == .noDevice { return .failure(.deviceGone(at: at)) }
                // A refused UPLOAD stalls; the status says why (errTARGET: not readable memory).
                let status = (try? device.controlIn(request(.getStatus, interface: interface, direction: .in, length: 6), timeout: timeout))
                    .flatMap(DFUStatus.init(bytes:))
                guard let status, status.status != .ok else { return .failure(.protocolViolation("\(at) failed: \(error)")) }
                return .failure(.deviceError(status.status, state: status.state, at: at))
            }
            bytes += chunk
            block += 1
            if chunk.count < length { break }
        }
        // Leave the upload so the device is idle for what follows.
        _ = try? device.controlOut(request(.abort, interface: interface), timeout: timeout)
        return .success(bytes)
    }
}
