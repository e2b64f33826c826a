/// USB DFU 1.1 class requests (DFU 1.1 §3, table 3.2).
public enum DFURequest: UInt8, Sendable, CaseIterable {
    case detach = 0
    case download = 1
    case upload = 2
    case getStatus = 3
    case clearStatus = 4
    case getState = 5
    case abort = 6
}

/// bState (DFU 1.1 §6.1.2).
public enum DFUState: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case appIdle = 0
    case appDetach = 1
    case idle = 2
    case downloadSync = 3
    case downloadBusy = 4
    case downloadIdle = 5
    case manifestSync = 6
    case manifest = 7
    case manifestWaitReset = 8
    case uploadIdle = 9
    case error = 10

    /// The spec's name, as dfu-util prints it.
    public var description: String {
        switch self {
        case .appIdle: "appIDLE"
        case .appDetach: "appDETACH"
        case .idle: "dfuIDLE"
        case .downloadSync: "dfuDNLOAD-SYNC"
        case .downloadBusy: "dfuDNBUSY"
        case .downloadIdle: "dfuDNLOAD-IDLE"
        case .manifestSync: "dfuMANIFEST-SYNC"
        case .manifest: "dfuMANIFEST"
        case .manifestWaitReset: "dfuMANIFEST-WAIT-RESET"
        case .uploadIdle: "dfuUPLOAD-IDLE"
        case .error: "dfuERROR"
        }
    }
}

/// bStatus (DFU 1.1 §6.1.2), each with what it means for a technician.
public enum DFUStatusCode: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case ok = 0x00
    case errTarget = 0x01
    case errFile = 0x02
    case errWrite = 0x03
    case errErase = 0x04
    case errCheckErased = 0x05
    case errProgram = 0x06
    case errVerify = 0x07
    case errAddress = 0x08
    case errNotDone = 0x09
    case errFirmware = 0x0A
    case errVendor = 0x0B
    case errUSBReset = 0x0C
    case errPOR = 0x0D
    case errUnknown = 0x0E
    case errStalledPacket = 0x0F

    /// The spec's name, e.g. `errWRITE`.
    public var name: String {
        switch self {
        case .ok: "OK"
        case .errTarget: "errTARGET"
        case .errFile: "errFILE"
        case .errWrite: "errWRITE"
        case .errErase: "errERASE"
        case .errCheckErased: "errCHECK_ERASED"
        case .errProgram: "errPROG"
        case .errVerify: "errVERIFY"
        case .errAddress: "errADDRESS"
        case .errNotDone: "errNOTDONE"
        case .errFirmware: "errFIRMWARE"
        case .errVendor: "errVENDOR"
        case .errUSBReset: "errUSBR"
        case .errPOR: "errPOR"
        case .errUnknown: "errUNKNOWN"
        case .errStalledPacket: "errSTALLEDPKT"
        }
    }

    /// What the status means (the spec's wording, shortened) and what to do about it.
    public var meaning: String {
        switch self {
        case .ok: "no error"
        case .errTarget: "the image is not for this device (wrong target): check the board model and the image"
        case .errFile: "the device rejected the image as invalid for it: check that the image is for this board"
        case .errWrite: "the device could not write its memory: retry; if it repeats, the flash part may be failing"
        case .errErase: "the memory erase failed: retry; if it repeats, the flash part may be failing"
        case .errCheckErased: "the memory was not blank after erase: retry the flash"
        case .errProgram: "programming the memory failed: retry; if it repeats, the flash part may be failing"
        case .errVerify: "the written data did not verify: retry the flash"
        case .errAddress: "the image does not fit the device's memory (address out of range): check the image"
        case .errNotDone: "the device got the end of the download too early: the transfer was cut short, retry"
        case .errFirmware: "the firmware on the device is corrupt and it cannot leave DFU mode: flash a good image"
        case .errVendor: "a vendor-specific error: see the board's documentation"
        case .errUSBReset: "the device saw an unexpected USB reset: check the cable and hub, then retry"
        case .errPOR: "the device saw an unexpected power-on reset: check its power supply, then retry"
        case .errUnknown: "the device reported an unknown error: power-cycle it and retry"
        case .errStalledPacket: "the device stalled an unexpected request: retry; if it repeats, report a bug"
        }
    }

    public var description: String { "\(name) (\(meaning))" }
}

/// The six bytes of a DFU_GETSTATUS reply (DFU 1.1 §6.1.2).
public struct DFUStatus: Sendable, Hashable, Codable {
    public var status: DFUStatusCode
    /// How long the host must wait before the next GETSTATUS, in milliseconds (24 bits).
    public var pollTimeoutMilliseconds: UInt32
    public var state: DFUState
    public var stringIndex: UInt8

    public init(status: DFUStatusCode, pollTimeoutMilliseconds: UInt32 = 0, state: DFUState, stringIndex: UInt8 = 0) {
        self.status = status
        self.pollTimeoutMilliseconds = pollTimeoutMilliseconds
        self.state = state
        self.stringIndex = stringIndex
    }

    /// Parses a GETSTATUS reply; nil when it is short or carries an unknown status or state.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= 6, let status = DFUStatusCode(rawValue: bytes[0]), let state = DFUState(rawValue: bytes[4]) else {
            return nil
        }
        self.status = status
        pollTimeoutMilliseconds = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16
        self.state = state
        stringIndex = bytes[5]
    }

    public var bytes: [UInt8] {
        [status.rawValue, UInt8(truncatingIfNeeded: pollTimeoutMilliseconds), UInt8(truncatingIfNeeded: pollTimeoutMilliseconds >> 8),
         UInt8(truncatingIfNeeded: pollTimeoutMilliseconds >> 16), state.rawValue, stringIndex]
    }
}
