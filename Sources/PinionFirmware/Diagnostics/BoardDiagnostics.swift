import Foundation
import PinionBoards
import PinionUSB

/// The USB-level checks `pinion diag` runs on one attached board, each with a verdict a technician
/// can act on: enumeration and descriptors, link speed, mode, strings and access, firmware version,
/// the DFU interface's state, and the USB error counters of the session. Read-only: nothing is
/// written to the board. (The board-protocol self-test and the sensor readings are run by the command itself.)
public struct BoardDiagnostics: Sendable {
    public let host: any USBHost
    public let catalogue: BoardCatalogue

    public init(host: any USBHost, catalogue: BoardCatalogue) {
        self.host = host
        self.catalogue = catalogue
    }

    /// Runs every check on `info`; blocking transfers run on a thread of their own.
    public func diagnose(_ info: USBDeviceInfo) async -> BoardReport {
        let attached = BoardInventory(catalogue: catalogue).identify(info)
        let board = attached.board.flatMap(catalogue.board(id:))
        var checks: [DiagnosticCheck] = []

        checks.append(info.descriptorProblem.map {
            DiagnosticCheck("descriptors", .fail, "the configuration descriptor is malformed: \($0); reflash the firmware or replace the board")
        } ?? DiagnosticCheck("descriptors", .pass, "\(info.configurations.count) configuration(s), \(info.interfaceSettings.count) interface setting(s)"))

        checks.append(Self.speedCheck(info.speed))

        switch attached.mode {
        case .runtime?: checks.append(DiagnosticCheck("mode", .pass, "run-time firmware \(attached.deviceVersion)"))
        case .bootloader?:
            let note = board.map(Self.bootNote) ?? "waiting in its bootloader (an interrupted flash?): run pinion flash"
            checks.append(DiagnosticCheck("mode", board?.runtime == nil ? .pass : .warn, "bootloader; \(note)"))
        case nil: checks.append(DiagnosticCheck("mode", .fail, "\(info.id) is not in the board catalogue"))
        }

        if let problem = info.stringsProblem {
            checks.append(DiagnosticCheck("access", .fail, problem))
        } else {
            checks.append(DiagnosticCheck("access", attached.serial == nil ? .warn : .pass,
                                          attached.serial.map { "opened; serial \($0)" } ?? "opened, but the board reports no serial number"))
        }

        let counters: USBTransferCounters?
        do {
            let device = try host.open(info.location)
            defer { device.close() }
            if let setting = info.interfaceSettings.first(where: \.isDFU) {
                checks.append(await Self.dfuCheck(device, interface: setting.interfaceNumber, runtime: setting.interfaceProtocol == 1))
            }
            counters = device.counters
        } catch {
            checks.append(DiagnosticCheck("dfu", .fail, "cannot open the board: \(error)"))
            counters = nil
        }
        if let counters {
            checks.append(DiagnosticCheck("usb errors", counters.errors == 0 ? .pass : .warn,
                                          "\(counters.transfers) transfers, \(counters.timeouts) timeouts, \(counters.stalls) stalls, "
                                          + "\(counters.disconnects) disconnects" + (counters.errors == 0 ? "" : ": check the cable and hub")))
        }
        return BoardReport(device: attached, checks: checks)
    }

    /// What a board found in its bootloader is waiting for. A RAM-only board (`boot_on_attach`) is
    /// one board with its booted identity: `pinion run` boots it with `flash.boot_firmware`, when set.
    static func bootNote(_ board: BoardDescriptor) -> String {
        guard board.flash.bootOnAttach else { return "waiting in its bootloader (an interrupted flash?): run pinion flash" }
        guard let path = board.flash.bootFirmware else {
            return "RAM-only firmware, not booted: flash.boot_firmware is not set in \(board.source); name the vendor's firmware file there and pinion run boots it"
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return "RAM-only firmware, not booted: flash.boot_firmware names \(path) (in \(board.source)), which does not exist or cannot be read"
        }
        return "RAM-only firmware: pinion run boots it with \(path) as it arrives"
    }

    static func speedCheck(_ speed: USBSpeed) -> DiagnosticCheck {
        switch speed {
        case .high, .superSpeed, .superSpeedPlus:
            DiagnosticCheck("link", .pass, "\(speed.rawValue) speed")
        case .full, .low:
            DiagnosticCheck("link", .warn, "\(speed.rawValue) speed only: a USB 1.1 hub or a poor cable; move it to a USB 2 or 3 port")
        case .unknown:
            DiagnosticCheck("link", .warn, "the kernel does not report the link speed")
        }
    }

    static func dfuCheck(_ device: USBDevice, interface: UInt8, runtime: Bool) async -> DiagnosticCheck {
        let setup = USBSetupPacket(direction: .in, kind: .class, recipient: .interface, request: DFURequest.getStatus.rawValue,
                                   index: UInt16(interface), length: 6)
        do {
            let bytes = try await device.offload { try $0.controlIn(setup, timeout: .seconds(2)) }
            guard let status = DFUStatus(bytes: bytes) else {
                return DiagnosticCheck("dfu", .warn, "DFU_GETSTATUS returned \(bytes.count) unparseable bytes")
            }
            if status.status != .ok || status.state == .error {
                return DiagnosticCheck("dfu", .warn, "\(status.state), \(status.status.name): \(status.status.meaning); pinion flash clears it")
            }
            return DiagnosticCheck("dfu", .pass, "\(runtime ? "run-time" : "DFU-mode") interface \(interface) answers: \(status.state)")
        } catch {
            // Many run-time DFU interfaces answer only DETACH; a stall there is normal.
            if runtime && error.code == .stall {
                return DiagnosticCheck("dfu", .pass, "run-time interface \(interface) present (stalls DFU_GETSTATUS, as many do)")
            }
            return DiagnosticCheck("dfu", .fail, "DFU_GETSTATUS on interface \(interface) failed: \(error)")
        }
    }
}

/// One check's outcome.
public struct DiagnosticCheck: Sendable, Hashable, Codable {
    /// pass: fine; warn: works, but look at it; fail: broken; skip: not checked, and why.
    public enum Verdict: String, Sendable, Hashable, Codable, Comparable {
        case pass, warn, fail, skip

        private var rank: Int { switch self { case .skip: 0; case .pass: 1; case .warn: 2; case .fail: 3 } }
        public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
    }

    public var name: String
    public var verdict: Verdict
    public var detail: String

    public init(_ name: String, _ verdict: Verdict, _ detail: String) {
        self.name = name
        self.verdict = verdict
        self.detail = detail
    }
}

/// Every check on one board.
public struct BoardReport: Sendable, Hashable, Codable {
    public var device: AttachedDevice
    public var checks: [DiagnosticCheck]

    /// The worst verdict among the checks that ran.
    public var verdict: DiagnosticCheck.Verdict { checks.map(\.verdict).filter { $0 != .skip }.max() ?? .pass }
}
