import PinionBoards
import PinionUSB

/// One DFU variant as the flash lifecycle (`DFUFlasher.flash(_:found:serial:verify:progress:)`)
/// sees it: the steps that differ between DFU 1.1 (`DFU11Variant`) and DfuSe (`DfuSeVariant`),
/// as fwupd's dfu plugin has one device lifecycle and a target class per variant.
///
/// The lifecycle is the same for every variant: find the board, detach it if it runs its
/// firmware, wait for its bootloader, open it, `plan`, claim the DFU interface, `download`,
/// `readBack` (when asked, the board can upload and `readsBack(after:)` says so), `leave`, and
/// wait for the run-time board when `returnsToRuntime(_:)`.
protocol DFUVariant: Sendable {
    /// What the variant writes, as planned for the board open in its bootloader.
    associatedtype Plan: Sendable

    /// Image bytes: what progress counts from the detach on and what the result reports.
    var bytesTotal: Int { get }

    /// The functional descriptor of the DFU-mode interface, given the one on its first DFU-mode
    /// alternate setting. By default that one.
    func functionalDescriptor(of info: USBDeviceInfo, interface: UInt8,
                              first: DFUFunctionalDescriptor?) -> DFUFunctionalDescriptor?

    /// Plans the writes for the board open in its bootloader, before its interface is claimed:
    /// a refusal here comes before anything is written.
    func plan(_ session: DFUSession) async throws(FlashError) -> Plan

    /// Downloads the blocks (DFU 1.1: and manifests); the manifest outcome so far.
    func download(_ plan: Plan, _ session: DFUSession) async throws(FlashError) -> DFUManifestOutcome

    /// Whether the image can be read back after a download that ended in `outcome`.
    func readsBack(after outcome: DFUManifestOutcome) -> Bool

    /// Reads the written image back and compares it, reporting `verify` progress; throws at the first difference.
    func readBack(_ plan: Plan, _ session: DFUSession) async throws(FlashError)

    /// Leaves the bootloader after a download that ended in `outcome`: the final manifest outcome
    /// and the time spent manifesting (counted as download time).
    func leave(_ plan: Plan, _ session: DFUSession, after outcome: DFUManifestOutcome) async throws(FlashError) -> DFULeave

    /// Whether the board is then awaited in run-time mode (when it has one) and its version read.
    func returnsToRuntime(_ plan: Plan) -> Bool
}

extension DFUVariant {
    func functionalDescriptor(of info: USBDeviceInfo, interface: UInt8,
                              first: DFUFunctionalDescriptor?) -> DFUFunctionalDescriptor? {
        first
    }
}

/// How a variant left the bootloader.
struct DFULeave: Sendable {
    var manifest: DFUManifestOutcome
    /// Time spent in a manifestation the leave started (DfuSe's leave request), else zero.
    var manifestTime: Duration
}

/// A board open in its bootloader with its DFU interface chosen: what every step of a flash needs.
struct DFUSession: Sendable {
    let flasher: DFUFlasher
    let serial: String
    let info: USBDeviceInfo
    let device: USBDevice
    let interface: UInt8
    let functional: DFUFunctionalDescriptor?
    let settings: FlashSettings
    let progress: @Sendable (DFUFlashProgress) -> Void

    /// The board's `transferSize` setting, else wTransferSize, else 1024.
    var transferSize: Int { settings.transferSize ?? Int(functional?.transferSize ?? 1024) }
    /// Every control transfer's timeout (the board's `controlTimeoutMilliseconds`).
    var controlTimeout: Duration { .milliseconds(settings.controlTimeoutMilliseconds) }
    /// The longest bwPollTimeout waited (the board's `pollTimeoutCapMilliseconds`).
    var pollTimeoutCap: UInt32 { UInt32(clamping: settings.pollTimeoutCapMilliseconds) }
    /// The board's `manifestationTolerant` setting, else bitManifestationTolerant, else true.
    var manifestationTolerant: Bool { settings.manifestationTolerant ?? functional?.manifestationTolerant ?? true }
    /// The board's `canUpload` setting, else bitCanUpload, else false.
    var canUpload: Bool { settings.canUpload ?? functional?.canUpload ?? false }

    /// Runs `machine` over the session's device (`DFUFlasher.download`).
    func download(_ machine: inout DFUDownloadMachine, bytesBefore: Int = 0, bytesTotal: Int? = nil,
                  progress: @escaping @Sendable (DFUFlashProgress) -> Void) async throws(FlashError) -> DFUManifestOutcome {
        try await flasher.download(&machine, device: device, interface: interface, timeout: controlTimeout, serial: serial,
                                   bytesBefore: bytesBefore, bytesTotal: bytesTotal, progress: progress)
    }
}
