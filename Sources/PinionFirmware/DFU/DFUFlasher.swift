import Foundation
import PinionBoards
import PinionSystem
import PinionUSB

/// Flashes one board over USB DFU, the fwupd way: one lifecycle for every variant — probe →
/// detach → (re-enumerate in the bootloader) → plan → download with progress → read back → leave
/// → (re-enumerate in run time, read the version) — and a `DFUVariant` for the steps
/// that differ: `DFU11Variant` (DFU 1.1: blocks from 0, manifest, then read back, DETACH + reset)
/// and `DfuSeVariant` (STM32: memory layouts, erase and addressed writes per alternate setting,
/// read back, then the leave request).
///
/// The board is followed across re-enumerations by its serial number, which survives them; its
/// USB path and address do not. Transfers are synchronous and run on a thread of their own
/// (`USBDevice.offload`), never on the concurrency pool. Per-model quirks come from the
/// board's `[flash]` settings: transfer size, poll-timeout cap, control timeout, timeouts.
/// `flash(serial:image:)` takes DFU 1.1 boards; `flash(serial:segments:)` and
/// `flash(serial:firmware:)` take both, by the board's `[flash] method`.
public struct DFUFlasher: Sendable {
    public let host: any USBHost
    public let catalogue: BoardCatalogue

    public init(host: any USBHost, catalogue: BoardCatalogue) {
        self.host = host
        self.catalogue = catalogue
    }

    /// Flashes `image` (the bytes to download: suffix already stripped) onto the board with `serial`.
    public func flash(serial: String, image: [UInt8], verify: Bool = true,
                      progress: @escaping @Sendable (DFUFlashProgress) -> Void = { _ in }) async throws(FlashError) -> DFUFlashResult {
        try await flash(try await find(serial: serial), serial: serial, image: image, verify: verify, progress: progress)
    }

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
            return try await flash(DfuSeVariant(segments: segments), found: found, serial: serial, verify: verify, progress: progress)
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

    /// The DFU 1.1 flash of a board already found (`find(serial:)`), so callers that looked it up
    /// to choose the method do not scan the bus for it again.
    func flash(_ found: (USBDeviceInfo, BoardDescriptor, BoardMode), serial: String, image: [UInt8], verify: Bool,
               progress: @escaping @Sendable (DFUFlashProgress) -> Void) async throws(FlashError) -> DFUFlashResult {
        let board = found.1
        guard board.flash.method == .dfu else {
            throw FlashError(serial: serial, stage: .probe, "board \(board.id) flashes with \(board.flash.method.rawValue), not DFU 1.1")
        }
        return try await flash(DFU11Variant(image: image), found: found, serial: serial, verify: verify, progress: progress)
    }

    /// The lifecycle every DFU variant shares (`DFUVariant` says what differs): detach a board
    /// running its firmware and wait for its bootloader, open it, plan, claim the DFU interface,
    /// download, read back, leave, and wait for the board to come back in run-time mode.
    func flash<Variant: DFUVariant>(_ variant: Variant, found: (USBDeviceInfo, BoardDescriptor, BoardMode), serial: String,
                                  verify: Bool, progress: @escaping @Sendable (DFUFlashProgress) -> Void)
        async throws(FlashError) -> DFUFlashResult {
        let started = ContinuousClock.now
        var (info, board, mode) = found
        let settings = board.flash
        let total = variant.bytesTotal
        let reenumerationTimeout = Duration.milliseconds(Int(settings.reenumerationTimeoutSeconds * 1000))
        if mode == .runtime {
            progress(DFUFlashProgress(stage: .detach, bytesDone: 0, bytesTotal: total))
            try await detach(info, settings: settings, serial: serial)
            (info, mode) = try await waitFor(serial: serial, mode: .bootloader, timeout: reenumerationTimeout, stage: .detach)
        }
        let device = try open(info, serial: serial, stage: .download)
        defer { device.close() }
        let (interface, first) = try dfuInterface(of: info, protocol: 2, serial: serial)
        let session = DFUSession(flasher: self, serial: serial, info: info, device: device, interface: interface,
                                 functional: variant.functionalDescriptor(of: info, interface: interface, first: first),
                                 settings: settings, progress: progress)
        let plan = try await variant.plan(session)
        do {
            try await device.offload { try $0.claimInterface(interface) }
        } catch {
            throw FlashError(serial: serial, stage: .download, "cannot claim DFU interface \(interface): \(error)")
        }
        let downloadStarted = ContinuousClock.now
        let outcome = try await variant.download(plan, session)
        let downloadTime = ContinuousClock.now - downloadStarted
        var verified: DFUVerification = session.canUpload ? .notChecked : .cannotReadBack
        if verify, session.canUpload, variant.readsBack(after: outcome) {
            try await variant.readBack(plan, session)
            verified = .readBack
        }
        progress(DFUFlashProgress(stage: .reboot, bytesDone: total, bytesTotal: total))
        let left = try await variant.leave(plan, session, after: outcome)
        var version: String?
        if board.runtime != nil, variant.returnsToRuntime(plan) {
            let (runtime, _) = try await waitFor(serial: serial, mode: .runtime, timeout: reenumerationTimeout, stage: .reboot)
            version = BoardInventory(catalogue: catalogue).identify(runtime).deviceVersion
        }
        return DFUFlashResult(serial: serial, board: board.id, bytes: total, manifest: left.manifest, verification: verified,
                              runtimeVersion: version, seconds: (ContinuousClock.now - started).inSeconds,
                              downloadSeconds: (downloadTime + left.manifestTime).inSeconds)
    }

    // MARK: - Steps

    /// The attached board with `serial`. Only devices with catalogued ids are asked for their
    /// strings (`USBHost.strings(of:)`: sysfs on Linux, a transfer elsewhere), and the search
    /// stops at the board.
    func find(serial: String) async throws(FlashError) -> (USBDeviceInfo, BoardDescriptor, BoardMode) {
        do {
            return try await BlockingCall.run("find \(serial)") { [self] in try findBlocking(serial: serial) }
        } catch let error as FlashError {
            throw error
        } catch {
            throw FlashError(serial: serial, stage: .probe, "\(error)")
        }
    }

    private func findBlocking(serial: String) throws(FlashError) -> (USBDeviceInfo, BoardDescriptor, BoardMode) {
        let devices: [USBDeviceInfo]
        do {
            devices = try host.devices(readStrings: false)
        } catch {
            throw FlashError(serial: serial, stage: .probe, "cannot list USB devices: \(error)")
        }
        var unreadable: [String] = []
        for var info in devices where catalogue.match(info.descriptor.id, product: nil) != nil {
            do {
                info.strings = try host.strings(of: info)
            } catch {
                unreadable.append("\(info.location.path): \(error)")
                continue
            }
            guard info.strings?.serialNumber == serial else { continue }
            guard let (board, mode) = catalogue.match(info.descriptor.id, product: info.strings?.product) else {
                throw FlashError(serial: serial, stage: .probe, "\(info.id) at \(info.location.path) is not in the board catalogue")
            }
            return (info, board, mode)
        }
        let why = unreadable.isEmpty ? "" : " (could not read the serial of \(unreadable.joined(separator: "; ")))"
        throw FlashError(serial: serial, stage: .probe, "no board with serial \(serial) is attached (see pinion list)\(why)")
    }

    func open(_ info: USBDeviceInfo, serial: String, stage: DFUFlashStage) throws(FlashError) -> USBDevice {
        do {
            return try host.open(info.location)
        } catch {
            throw FlashError(serial: serial, stage: stage, "cannot open \(info.location.path): \(error)")
        }
    }

    /// The DFU interface in run-time (protocol 1) or DFU mode (protocol 2), and its functional descriptor.
    func dfuInterface(of info: USBDeviceInfo, protocol dfuProtocol: UInt8,
                              serial: String) throws(FlashError) -> (UInt8, DFUFunctionalDescriptor?) {
        guard let setting = info.interfaceSettings.first(where: { $0.isDFU && $0.interfaceProtocol == dfuProtocol }) else {
            throw FlashError(serial: serial, stage: dfuProtocol == 1 ? .detach : .download,
                             "\(info.id) has no DFU \(dfuProtocol == 1 ? "run-time" : "mode") interface")
        }
        let functional = setting.extra.first { $0.type == USBDescriptorType.dfuFunctional.rawValue }
            .flatMap { try? DFUFunctionalDescriptor(bytes: $0.bytes) }
        return (setting.interfaceNumber, functional)
    }

    func detach(_ info: USBDeviceInfo, settings: FlashSettings, serial: String) async throws(FlashError) {
        let (interface, functional) = try dfuInterface(of: info, protocol: 1, serial: serial)
        let device = try open(info, serial: serial, stage: .detach)
        defer { device.close() }
        let timeout = UInt16(clamping: settings.detachTimeoutMilliseconds)
        let willDetach = settings.willDetach ?? functional?.willDetach ?? false
        do throws(USBError) {
            try await device.offload { device in
                try device.claimInterface(interface)
                try device.controlOut(Self.request(DFURequest.detach, interface: interface, value: timeout),
                                      timeout: .milliseconds(settings.controlTimeoutMilliseconds))
                if !willDetach { try device.reset() }
            }
        } catch {
            // Leaving the bus at once is what a detaching board does.
            if error.code != .noDevice { throw FlashError(serial: serial, stage: .detach, "DFU_DETACH failed: \(error)") }
        }
    }

    /// Polls (every 50 ms) until the board with `serial` is back in `wanted` mode. A poll lists
    /// the bus and asks only new devices whose ids are a catalogued board's ids in that mode for
    /// their strings (`USBHost.strings(of:)`: from sysfs on Linux, so several flashers polling at
    /// once put no transfers on each other's boards).
    func waitFor(serial: String, mode wanted: BoardMode, timeout: Duration,
                         stage: DFUFlashStage) async throws(FlashError) -> (USBDeviceInfo, BoardMode) {
        let deadline = ContinuousClock.now + timeout
        let wantedIDs = Set(catalogue.boards.compactMap { board in board.identities.first { $0.mode == wanted }?.identity.id })
        var checked: Set<USBDeviceLocation> = []
        var last = "not seen"
        while ContinuousClock.now < deadline {
            // Devices read once are not read again: a location names one enumeration (its address).
            let poll: (found: (USBDeviceInfo, BoardMode?)?, others: [USBDeviceLocation])? = try? await BlockingCall.run("wait for \(serial)") {
                [self, checked] in
                var others: [USBDeviceLocation] = []
                let candidates = try host.devices(readStrings: false)
                    .filter { wantedIDs.contains($0.descriptor.id) && !checked.contains($0.location) }
                for var info in candidates {
                    guard let strings = try? host.strings(of: info) else { continue }
                    info.strings = strings
                    guard strings.serialNumber == serial else { others.append(info.location); continue }
                    return ((info, catalogue.match(info.descriptor.id, product: strings.product)?.mode), others)
                }
                return (nil, others)
            }
            checked.formUnion(poll?.others ?? [])
            if let (info, mode) = poll?.found {
                if mode == wanted { return (info, wanted) }
                checked.insert(info.location)
                last = "seen as \(info.id) (\(mode?.rawValue ?? "unknown mode"))"
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw FlashError(serial: serial, stage: stage,
                         "the board did not come back in \(wanted.rawValue) mode within \(timeout) (\(last)); "
                         + "raise [flash] reenumeration_timeout_s for this model if it is just slow, or replug it and run pinion flash again")
    }

    /// Runs the whole download on one thread of its own: each step is a blocking control
    /// transfer, and waits are sleeps, so nothing here touches the concurrency pool.
    func download(_ machine: inout DFUDownloadMachine, device: USBDevice, interface: UInt8, timeout: Duration,
                  serial: String, bytesBefore: Int = 0, bytesTotal: Int? = nil,
                  progress: @escaping @Sendable (DFUFlashProgress) -> Void) async throws(FlashError) -> DFUManifestOutcome {
        let start = machine
        let result: Result<DFUManifestOutcome, DFUDownloadFailure>
        do {
            result = try await device.offload { device in
                var machine = start
                return Self.runDownload(&machine, device: device, interface: interface, timeout: timeout, bytesBefore: bytesBefore,
                                        bytesTotal: bytesTotal, progress: progress)
            }
        } catch {
            throw FlashError(serial: serial, stage: .download, "\(error)")
        }
        switch result {
        case .success(let outcome): return outcome
        case .failure(let failure): throw FlashError(serial: serial, stage: .download, failure.description)
        }
    }

    /// Runs `machine` to its end with blocking transfers. Progress counts `bytesBefore` plus the
    /// machine's bytes, out of `bytesTotal` (the machine's total when nil).
    static func runDownload(_ machine: inout DFUDownloadMachine, device: USBDevice, interface: UInt8, timeout: Duration,
                            bytesBefore: Int = 0, bytesTotal: Int? = nil,
                            progress: (DFUFlashProgress) -> Void) -> Result<DFUManifestOutcome, DFUDownloadFailure> {
        var action = machine.next(.start)
        var lastReported = -1
        while true {
            let event: DFUDownloadMachine.Event
            switch action {
            case .finished(let outcome):
                // A download without a zero-length end finishes on its last block's status.
                if machine.bytesDone != lastReported {
                    progress(DFUFlashProgress(stage: .download, bytesDone: bytesBefore + machine.bytesDone,
                                              bytesTotal: bytesTotal ?? machine.totalBytes))
                }
                return .success(outcome)
            case .failed(let failure):
                return .failure(failure)
            case .wait(let milliseconds):
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                event = .waited
            case .getStatus:
                event = perform {
                    let bytes = try device.controlIn(request(.getStatus, interface: interface, direction: .in, length: 6), timeout: timeout)
                    return DFUStatus(bytes: bytes).map { .status($0) }
                        ?? .transferFailed("GETSTATUS answered \(bytes.count) bytes that are not a DFU 1.1 status: \(Hex.bytes(bytes))")
                }
            case .clearStatus:
                event = perform { try device.controlOut(request(.clearStatus, interface: interface), timeout: timeout); return .accepted }
            case .abort:
                event = perform { try device.controlOut(request(.abort, interface: interface), timeout: timeout); return .accepted }
            case .download(let block, let data):
                event = perform {
                    try device.controlOut(request(.download, interface: interface, value: block), data: data, timeout: timeout)
                    return .accepted
                }
            }
            if machine.bytesDone != lastReported {
                lastReported = machine.bytesDone
                progress(DFUFlashProgress(stage: .download, bytesDone: bytesBefore + machine.bytesDone,
                                          bytesTotal: bytesTotal ?? machine.totalBytes))
            }
            action = machine.next(event)
        }
    }

    /// One request, its USB outcome turned into a machine event: a stall (LIBUSB_ERROR_PIPE) and
    /// an unplug are events of their own; a timeout or an I/O error says nothing of the device's
    /// state and is neither.
    static func perform(_ body: () throws -> DFUDownloadMachine.Event) -> DFUDownloadMachine.Event {
        do {
            return try body()
        } catch let error as USBError {
            switch error.code {
            case .noDevice: return .deviceGone
            case .stall: return .stalled
            default: return .transferFailed("\(error)")
            }
        } catch {
            return .transferFailed("\(error)")
        }
    }

    static func request(_ request: DFURequest, interface: UInt8, value: UInt16 = 0, direction: USBDirection = .out,
                        length: UInt16 = 0) -> USBSetupPacket {
        USBSetupPacket(direction: direction, kind: .class, recipient: .interface, request: request.rawValue, value: value,
                       index: UInt16(interface), length: length)
    }
}


/// Where a flash is.
public enum DFUFlashStage: String, Sendable, Codable {
    case probe, detach, download, verify, reboot
}

/// A progress report: stage and bytes.
public struct DFUFlashProgress: Sendable, Hashable, Codable {
    public var stage: DFUFlashStage
    public var bytesDone: Int
    public var bytesTotal: Int
}

/// How the written image was checked.
public enum DFUVerification: String, Sendable, Codable {
    /// UPLOAD returned exactly the image.
    case readBack = "read-back"
    /// Not read back (`--no-verify`, or the device left the bus or waits for a reset after
    /// manifestation); the run-time version is the check.
    case notChecked = "not checked"
    /// The board cannot read back (no DFU upload): nothing but its run-time version checks it.
    case cannotReadBack = "cannot read back"

    /// For the result line: "read-back", "not checked", "no, the board cannot read back (no DFU upload)".
    public var summary: String {
        switch self {
        case .readBack, .notChecked: rawValue
        case .cannotReadBack: "no, the board cannot read back (no DFU upload)"
        }
    }
}

/// What a successful flash did.
public struct DFUFlashResult: Sendable, Hashable, Codable {
    public var serial: String
    public var board: String
    public var bytes: Int
    public var manifest: DFUManifestOutcome
    public var verification: DFUVerification
    /// bcdDevice after rebooting into the new firmware ("1.02"), for boards with a run-time mode.
    public var runtimeVersion: String?
    /// The whole flash: detach, re-enumeration, download, verify, reboot.
    public var seconds: Double
    /// The download and manifestation alone (what dfu-util -D does to a board already in DFU mode).
    public var downloadSeconds: Double

    /// Bytes per second over the whole flash, detach and reboot included.
    public var bytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds : 0 }
}

/// A flash that failed: which board, at which stage, why and what to do, on one line.
public struct FlashError: Error, Sendable, CustomStringConvertible {
    public var serial: String
    public var stage: DFUFlashStage
    public var reason: String

    public init(serial: String, stage: DFUFlashStage, _ reason: String) {
        self.serial = serial
        self.stage = stage
        self.reason = reason
    }

    public var description: String { "flash \(serial): \(stage.rawValue): \(reason)" }
}
