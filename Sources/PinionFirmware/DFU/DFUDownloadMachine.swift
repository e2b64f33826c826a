/// The host side of a DFU 1.1 download (DFU 1.1 §7) as a value: feed it what the device did,
/// it says what to do next. No I/O, no clock: `DFUFlasher` performs the actions; tests drive it
/// through every state and status directly.
///
/// The download is a list of `DFUDownloadStep`s: plain DFU sends the image in `wTransferSize`
/// blocks; DfuSe adds command blocks (set address, erase) before its data blocks. Each step is
/// one DNLOAD followed by GETSTATUS polls until the device is idle again. bwPollTimeout (capped:
/// some devices report absurd values) is waited before each further GETSTATUS while the device is
/// busy (dfuDNLOAD-SYNC, dfuDNBUSY) or manifesting, as DFU 1.1 §6.1.2 sets it; once the device
/// says dfuDNLOAD-IDLE the next DNLOAD goes at once, as dfu-util sends it. A final zero-length
/// DNLOAD starts manifestation (`DFUDownloadEnding` says how it is numbered, or that there is none).
public struct DFUDownloadMachine: Sendable {
    /// What the device did in answer to the last action.
    public enum Event: Sendable, Equatable {
        /// Begin: the machine first asks for the device's status.
        case start
        /// A GETSTATUS reply.
        case status(DFUStatus)
        /// The last DNLOAD, CLRSTATUS or ABORT was accepted.
        case accepted
        /// The last request stalled (LIBUSB_ERROR_PIPE), or a GETSTATUS reply was not 6 valid bytes.
        case stalled
        /// The last request failed on the bus: a timeout or an I/O error. Not a stall, and not a
        /// device that left: nothing is known of the device's state.
        case transferFailed(String)
        /// The requested wait is over.
        case waited
        /// The device left the bus (unplugged, or reset itself).
        case deviceGone
    }

    /// What the host does next.
    public enum Action: Sendable, Equatable {
        case getStatus
        case clearStatus
        case abort
        /// DNLOAD with wBlockNum `block` (wraps at 16 bits) and `data` (empty: end of download).
        case download(block: UInt16, data: [UInt8])
        case wait(milliseconds: UInt32)
        /// Manifestation is over; a manifestation-intolerant device waits for a USB reset.
        case finished(DFUManifestOutcome)
        case failed(DFUDownloadFailure)
    }

    public let steps: [DFUDownloadStep]
    public let ending: DFUDownloadEnding
    public let pollTimeoutCapMilliseconds: UInt32
    /// bitManifestationTolerant. An intolerant device may answer nothing once it has manifested
    /// (dfuMANIFEST-WAIT-RESET): two stalled GETSTATUS in manifestation then mean "reset me".
    public let manifestationTolerant: Bool
    /// Bytes of image data (not commands) the device has accepted so far.
    public private(set) var bytesDone = 0
    public let totalBytes: Int

    private enum Phase: Equatable {
        case notStarted
        case checking(recoveries: Int)
        case recovering(recoveries: Int)
        case sent(step: Int)
        case polling(step: Int)
        case waitingThenPoll(step: Int)
        case readingError(step: Int, stalled: Bool)
        case sentEnd
        case manifesting
        /// GETSTATUS stalled during manifestation: its status is read once more.
        case manifestStalled
        case waitingInManifest
        case done
    }

    private var phase = Phase.notStarted
    private let endStep: Int

    public init(steps: [DFUDownloadStep], ending: DFUDownloadEnding = .manifest, pollTimeoutCapMilliseconds: UInt32 = 1_000,
                manifestationTolerant: Bool = true) {
        self.steps = steps
        self.ending = ending
        self.pollTimeoutCapMilliseconds = pollTimeoutCapMilliseconds
        self.manifestationTolerant = manifestationTolerant
        totalBytes = steps.reduce(0) { $0 + ($1.isData ? $1.data.count : 0) }
        endStep = steps.count
    }

    /// Plain DFU: `image` in `transferSize` blocks numbered from 0.
    public init(image: [UInt8], transferSize: Int, pollTimeoutCapMilliseconds: UInt32 = 1_000, manifestationTolerant: Bool = true) {
        precondition(transferSize > 0, "transfer size must be positive")
        let steps = stride(from: 0, to: image.count, by: transferSize).enumerated().map { index, offset in
            DFUDownloadStep(block: UInt16(truncatingIfNeeded: index), data: Array(image[offset..<min(offset + transferSize, image.count)]),
                            isData: true)
        }
        self.init(steps: steps, pollTimeoutCapMilliseconds: pollTimeoutCapMilliseconds, manifestationTolerant: manifestationTolerant)
    }

    /// True once the machine returned `.finished` or `.failed`.
    public var isOver: Bool { phase == .done }

    public mutating func next(_ event: Event) -> Action {
        switch (phase, event) {
        case (.done, _):
            return .failed(.protocolViolation("the download is already over"))

        case (.notStarted, .start):
            phase = .checking(recoveries: 0)
            return .getStatus

        case (.checking(let recoveries), .status(let status)):
            switch status.state {
            case .idle:
                return sendStep(0)
            case .appIdle, .appDetach:
                return fail(.notInDFUMode(status.state))
            case .error, .downloadIdle, .uploadIdle, .downloadSync, .manifestSync:
                guard recoveries < 2 else { return fail(.cannotReachIdle(status)) }
                phase = .recovering(recoveries: recoveries + 1)
                return status.state == .error ? .clearStatus : .abort
            default:
                return fail(.cannotReachIdle(status))
            }
        case (.recovering(let recoveries), .accepted):
            phase = .checking(recoveries: recoveries)
            return .getStatus

        case (.sent(let step), .accepted):
            phase = .polling(step: step)
            return .getStatus
        case (.sent(let step), .stalled):
            phase = .readingError(step: step, stalled: true)
            return .getStatus
        case (.polling(let step), .status(let status)):
            guard status.status == .ok else { return fail(.deviceError(status.status, state: status.state, at: describe(step))) }
            let wait = min(status.pollTimeoutMilliseconds, pollTimeoutCapMilliseconds)
            switch status.state {
            case .downloadBusy, .downloadSync:
                if wait == 0 { return .getStatus }
                phase = .waitingThenPoll(step: step)
                return .wait(milliseconds: wait)
            case .downloadIdle:
                // bwPollTimeout is the time before the next GETSTATUS (DFU 1.1 §6.1.2), not before
                // the next DNLOAD: an idle device takes its next block at once, whatever it reports.
                if steps[step].isData { bytesDone += steps[step].data.count }
                return sendStep(step + 1)
            default:
                return fail(.unexpectedState(status.state, at: describe(step)))
            }
        case (.waitingThenPoll(let step), .waited):
            phase = .polling(step: step)
            return .getStatus
        case (.readingError(let step, _), .status(let status)):
            let code = status.status == .ok ? DFUStatusCode.errStalledPacket : status.status
            return fail(.deviceError(code, state: status.state, at: describe(step)))
        case (.readingError(let step, _), .stalled):
            return fail(.deviceError(.errStalledPacket, state: .error, at: describe(step)))

        case (.sentEnd, .accepted):
            phase = .manifesting
            return .getStatus
        case (.sentEnd, .stalled):
            phase = .readingError(step: endStep, stalled: true)
            return .getStatus
        case (.manifesting, .status(let status)):
            return manifestation(status)
        case (.manifestStalled, .status(let status)):
            // The stall already said something went wrong: a device in dfuERROR stored nothing.
            guard status.state != .error else {
                let code = status.status == .ok ? DFUStatusCode.errStalledPacket : status.status
                return fail(.manifestationFailed(code))
            }
            return manifestation(status)
        case (.waitingInManifest, .waited):
            phase = .manifesting
            return .getStatus
        case (.manifesting, .deviceGone), (.waitingInManifest, .deviceGone), (.sentEnd, .deviceGone), (.manifestStalled, .deviceGone):
            // Devices that reset as soon as they have the image (a common "get_status failed"
            // after a good flash): success pending, to be confirmed after re-enumeration. Only a
            // device that left the bus counts: a stall or a timeout is not a reset.
            phase = .done
            return .finished(.deviceResetDuringManifestation)
        case (.manifesting, .stalled):
            phase = .manifestStalled
            return .getStatus
        case (.manifestStalled, .stalled):
            // A manifestation-intolerant device in dfuMANIFEST-WAIT-RESET may answer nothing
            // until it is reset; any other device must be able to say how manifestation went.
            phase = .done
            return manifestationTolerant ? .failed(.manifestationUnconfirmed) : .finished(.waitingForReset)

        case (_, .transferFailed(let detail)):
            return fail(.transferFailed(detail, at: describeCurrent()))
        case (_, .deviceGone):
            return fail(.deviceGone(at: describeCurrent()))
        default:
            return fail(.protocolViolation("\(event) while \(phase)"))
        }
    }

    /// A GETSTATUS reply in manifestation.
    private mutating func manifestation(_ status: DFUStatus) -> Action {
        guard status.status == .ok else { return fail(.deviceError(status.status, state: status.state, at: "manifestation")) }
        switch status.state {
        case .manifestSync, .manifest:
            let wait = min(status.pollTimeoutMilliseconds, pollTimeoutCapMilliseconds)
            phase = .waitingInManifest
            return .wait(milliseconds: max(wait, 1))
        case .idle:
            phase = .done
            return .finished(.manifested)
        case .manifestWaitReset:
            phase = .done
            return .finished(.waitingForReset)
        default:
            return fail(.unexpectedState(status.state, at: "manifestation"))
        }
    }

    private mutating func sendStep(_ step: Int) -> Action {
        if step == endStep {
            let block: UInt16
            switch ending {
            case .manifest: block = UInt16(truncatingIfNeeded: (steps.last.map { Int($0.block) + 1 }) ?? 0)
            case .manifestWithBlock(let number): block = number
            case .none:
                phase = .done
                return .finished(.notManifested)
            }
            phase = .sentEnd
            return .download(block: block, data: [])
        }
        phase = .sent(step: step)
        return .download(block: steps[step].block, data: steps[step].data)
    }

    private mutating func fail(_ failure: DFUDownloadFailure) -> Action {
        phase = .done
        return .failed(failure)
    }

    private func describe(_ step: Int) -> String {
        guard step < steps.count else { return "the end of the download" }
        let s = steps[step]
        guard s.isData else { return "command \(s.summary ?? "block \(s.block)")" }
        return "block \(s.block)\(s.summary.map { " at \($0)" } ?? "") (byte \(offsetOf(step)) of \(totalBytes))"
    }

    private func offsetOf(_ step: Int) -> Int {
        steps[..<step].reduce(0) { $0 + ($1.isData ? $1.data.count : 0) }
    }

    private func describeCurrent() -> String {
        switch phase {
        case .sent(let step), .polling(let step), .waitingThenPoll(let step), .readingError(let step, _):
            describe(min(step, steps.count))
        case .sentEnd: "the end of the download"
        case .manifesting, .manifestStalled, .waitingInManifest: "manifestation"
        default: "\(phase)"
        }
    }
}

/// One DNLOAD of a download: an image block, or a DfuSe command in block 0.
public struct DFUDownloadStep: Sendable, Hashable {
    public var block: UInt16
    public var data: [UInt8]
    /// Image data (counted in progress) rather than a command.
    public var isData: Bool
    /// For commands: what it does, for error messages ("erase sector 0x08004000"); for data
    /// blocks, where they land when that is known ("0x08000800").
    public var summary: String?

    public init(block: UInt16, data: [UInt8], isData: Bool, summary: String? = nil) {
        self.block = block
        self.data = data
        self.isData = isData
        self.summary = summary
    }
}

/// How the end of a download is sent.
public enum DFUDownloadEnding: Sendable, Hashable {
    /// DFU 1.1: a zero-length DNLOAD numbered one past the last step, then manifestation.
    case manifest
    /// A zero-length DNLOAD with this wBlockNum, then manifestation. DfuSe's "leave" (after a set
    /// address pointer command in block 0) uses 2, as dfu-util sends it.
    case manifestWithBlock(UInt16)
    /// No zero-length DNLOAD: the machine finishes with `.notManifested` once the last step is
    /// done, the device waiting in dfuDNLOAD-IDLE (DfuSe: more to write through another alternate
    /// setting, or a read-back before leaving).
    case none
}

/// How manifestation ended.
public enum DFUManifestOutcome: String, Sendable, Hashable, Codable {
    /// Manifestation-tolerant device back in dfuIDLE.
    case manifested
    /// Manifestation-intolerant device in dfuMANIFEST-WAIT-RESET (said so, or stalled every
    /// GETSTATUS after manifesting): the host resets it.
    case waitingForReset
    /// The device left the bus during manifestation: confirm once it is back.
    case deviceResetDuringManifestation
    /// No manifestation was asked for (`DFUDownloadEnding.none`): every step is done and the
    /// device waits in dfuDNLOAD-IDLE.
    case notManifested

    /// How it ended, for the result line: "manifested", "reset itself", "waited for reset".
    public var summary: String {
        switch self {
        case .manifested: "manifested"
        case .waitingForReset: "waited for reset"
        case .deviceResetDuringManifestation: "reset itself"
        case .notManifested: "not manifested"
        }
    }
}

/// Why a download failed, in words a technician can act on.
public enum DFUDownloadFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case notInDFUMode(DFUState)
    case cannotReachIdle(DFUStatus)
    case deviceError(DFUStatusCode, state: DFUState, at: String)
    case unexpectedState(DFUState, at: String)
    case deviceGone(at: String)
    /// GETSTATUS stalled during manifestation and the status read after it is dfuERROR.
    case manifestationFailed(DFUStatusCode)
    /// A manifestation-tolerant device stalled GETSTATUS twice during manifestation.
    case manifestationUnconfirmed
    /// A request timed out or failed on the bus (not a stall, not an unplug).
    case transferFailed(String, at: String)
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .notInDFUMode(let state):
            "the device is in run-time mode (\(state)), not DFU mode: detach it first (pinion flash does this for catalogued boards)"
        case .cannotReachIdle(let status):
            "the device stays in \(status.state) with status \(status.status.name) after CLRSTATUS and ABORT: power-cycle it into its bootloader and retry"
        case .deviceError(let code, let state, let at):
            "the device reported \(code.name) in \(state) at \(at): \(code.meaning)"
        case .unexpectedState(let state, let at):
            "the device went to \(state) at \(at), which DFU 1.1 does not allow there: retry; if it repeats, the bootloader is faulty"
        case .deviceGone(let at):
            "the device left the bus at \(at): check the cable, then run pinion flash again (the board waits in its bootloader)"
        case .manifestationFailed(let code):
            "the device stalled GETSTATUS during manifestation and is now in dfuERROR with \(code.name) (\(code.meaning)): "
                + "the image was not stored; flash again, and if it repeats the image is not one this board accepts"
        case .manifestationUnconfirmed:
            "the device stalled GETSTATUS twice during manifestation and never said whether it stored the image: "
                + "power-cycle it into its bootloader and flash again"
        case .transferFailed(let detail, let at):
            "a request failed at \(at) (\(detail)): the device's state is unknown; replug it and flash again, "
                + "and raise [flash] control_timeout_ms for this model if it timed out"
        case .protocolViolation(let detail):
            "DFU protocol violation: \(detail)"
        }
    }
}
