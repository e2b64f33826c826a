import PinionFirmware

/// The device side of an STM32 system bootloader speaking DfuSe (AN3156) as a value: DFU 1.1's
/// states and requests, with ST's meaning for DNLOAD and UPLOAD block numbers and a flash memory
/// laid out by the alternate settings' layout strings.
///
/// - DNLOAD block 0 carries a command (`DfuSeCommand`: set address pointer, erase sector, mass
///   erase, read unprotect); blocks ≥ 2 carry data for pointer + (block − 2) × wTransferSize;
///   block 1 stalls. Each is executed on the GETSTATUS that follows, which answers dfuDNBUSY with
///   a poll timeout (longer for erases); the next GETSTATUS gives dfuDNLOAD-IDLE or dfuERROR.
/// - Errors, as ST's bootloader reports them: an address outside the selected alternate
///   setting's memory (or a sector without the needed access) is errTARGET; a data block running
///   past the end of that memory is errADDRESS; an erase that fails (`Behaviour.failEraseAt`) is
///   errERASE. Writing needs erased bytes in a sector erased since the bootloader started (a
///   writable sector that cannot be erased, OTP, only needs erased bytes): otherwise
///   errCHECK_ERASED. This is stricter than silicon, so a host that skips the erase is caught.
/// - UPLOAD block 0 lists the supported commands (0x00, 0x21, 0x41, 0x92); blocks ≥ 2 read at
///   pointer + (block − 2) × wTransferSize (as ST's DFU class computes it, whatever the request's
///   wLength: dfu-util asks for a short last chunk), readable sectors only.
/// - A zero-length DNLOAD leaves: the next GETSTATUS answers dfuMANIFEST and the part jumps to
///   the address pointer, off the bus (`exit`). Read unprotect mass-erases and resets.
///
/// Plain DFU 1.1 downloads live in `EmulatedDFUDevice`; the two share the status codes, states,
/// `Reply` and the command encoding (`DfuSeCommand`), not a download path: DfuSe writes memory
/// at addresses, DFU 1.1 collects an image.
public struct EmulatedDfuSeDevice: Sendable {
    /// How the emulated bootloader behaves.
    public struct Behaviour: Sendable, Hashable {
        /// wTransferSize: the largest block, and the stride of block addresses.
        public var transferSize = 2048
        /// bwPollTimeout while a sector erase runs, in ms.
        public var erasePollTimeoutMilliseconds: UInt32 = 5
        /// bwPollTimeout while a mass erase runs, in ms.
        public var massErasePollTimeoutMilliseconds: UInt32 = 20
        /// bwPollTimeout while a data block is written, in ms.
        public var writePollTimeoutMilliseconds: UInt32 = 0
        /// Answers UPLOAD.
        public var canUpload = true
        /// Erasing the sector holding this address fails with errERASE (a worn part).
        public var failEraseAt: UInt32?

        public init() {}
    }

    /// How the part left the bootloader.
    public enum Exit: Sendable, Hashable {
        /// Leave request: it runs the code at this address.
        case jumped(to: UInt32)
        /// Read unprotect: it reset itself.
        case reset
    }

    public let behaviour: Behaviour
    /// The memory layout of each alternate setting.
    public let layouts: [UInt8: DfuSeMemoryLayout]
    public private(set) var memory: EmulatedFlashMemory
    public private(set) var alternateSetting: UInt8 = 0
    public private(set) var state = DFUState.idle
    public private(set) var status = DFUStatusCode.ok
    public private(set) var addressPointer: UInt32
    /// Start addresses of the sectors erased since the bootloader started.
    public private(set) var erasedSectors: Set<UInt32> = []
    /// Commands executed, in order (failed ones included).
    public private(set) var commands: [DfuSeCommand] = []
    /// Set once the part left the bootloader; from then on it is off the bus and every request
    /// stalls here (transports answer "no device").
    public private(set) var exit: Exit?

    private enum Pending: Sendable {
        case command(DfuSeCommand)
        case write(address: UInt64, data: [UInt8])
    }

    private var pending: Pending?
    private var outcome = DFUStatusCode.ok

    /// A bootloader whose alternate settings have `layouts`, holding `memory`. The address pointer
    /// starts at alternate setting 0's first region (0x08000000 on STM32), as AN3156 says.
    public init(layouts: [UInt8: DfuSeMemoryLayout], memory: EmulatedFlashMemory = EmulatedFlashMemory(),
                behaviour: Behaviour = Behaviour()) {
        self.layouts = layouts
        self.memory = memory
        self.behaviour = behaviour
        addressPointer = layouts[0]?.regions.first?.start ?? layouts.sorted { $0.key < $1.key }.first?.value.regions.first?.start ?? 0x0800_0000
    }

    /// SET_INTERFACE: later commands address this alternate setting's memory.
    public mutating func selectAlternateSetting(_ alternate: UInt8) {
        alternateSetting = alternate
    }

    /// Handles one DFU class request (bRequest, wValue, wLength, OUT data).
    public mutating func handle(request: UInt8, value: UInt16, length: UInt16, data: [UInt8]) -> EmulatedDFUDevice.Reply {
        guard exit == nil, let request = DFURequest(rawValue: request) else { return stall() }
        switch request {
        case .getStatus:
            return .data(Array(getStatus().bytes.prefix(Int(length))))
        case .getState:
            return .data([state.rawValue])
        case .clearStatus:
            guard state == .error else { return stall() }
            toIdle()
            return .accepted
        case .abort:
            guard [.idle, .downloadSync, .downloadIdle, .manifestSync, .uploadIdle].contains(state) else { return stall() }
            toIdle()
            return .accepted
        case .download:
            return download(block: value, data: data)
        case .upload:
            return upload(block: value, length: Int(length))
        case .detach:
            return stall()
        }
    }

    private var layout: DfuSeMemoryLayout? { layouts[alternateSetting] }

    private mutating func download(block: UInt16, data: [UInt8]) -> EmulatedDFUDevice.Reply {
        guard state == .idle || state == .downloadIdle else { return stall() }
        if data.isEmpty {
            state = .manifestSync
            return .accepted
        }
        guard data.count <= behaviour.transferSize else { return stall() }
        switch block {
        case 0:
            guard let command = DfuSeCommand(bytes: data) else { return stall() }
            pending = .command(command)
        case 1:
            return stall()
        default:
            pending = .write(address: UInt64(addressPointer) + UInt64(block - 2) * UInt64(behaviour.transferSize), data: data)
        }
        state = .downloadSync
        return .accepted
    }

    private mutating func getStatus() -> DFUStatus {
        switch state {
        case .downloadSync:
            guard let work = pending else { break }
            pending = nil
            state = .downloadBusy
            outcome = execute(work)
            return DFUStatus(status: .ok, pollTimeoutMilliseconds: pollTimeout(for: work), state: .downloadBusy)
        case .downloadBusy:
            if outcome != .ok {
                state = .error
                status = outcome
                outcome = .ok
            } else {
                state = .downloadIdle
            }
        case .manifestSync:
            state = .manifest
            exit = .jumped(to: addressPointer)
        default:
            break
        }
        return DFUStatus(status: status, state: state)
    }

    private func pollTimeout(for work: Pending) -> UInt32 {
        switch work {
        case .command(.erase): behaviour.erasePollTimeoutMilliseconds
        case .command(.massErase), .command(.readUnprotect): behaviour.massErasePollTimeoutMilliseconds
        case .command(.setAddress): 0
        case .write: behaviour.writePollTimeoutMilliseconds
        }
    }

    private mutating func execute(_ work: Pending) -> DFUStatusCode {
        guard let layout else { return .errTarget }
        switch work {
        case .command(let command):
            commands.append(command)
            switch command {
            case .setAddress(let address):
                guard layout.region(containing: address) != nil else { return .errTarget }
                addressPointer = address
                return .ok
            case .erase(let address):
                guard let sector = layout.sector(containing: address), sector.access.contains(.erasable) else { return .errTarget }
                if let failing = behaviour.failEraseAt, sector.address <= failing, UInt64(failing) < sector.end { return .errErase }
                erase(sector)
                return .ok
            case .massErase, .readUnprotect:
                for region in layout.regions {
                    var address = UInt64(region.start)
                    for group in region.groups {
                        for _ in 0..<group.count {
                            if group.access.contains(.erasable) {
                                erase(DfuSeSector(address: UInt32(address), size: group.size, access: group.access))
                            }
                            address += UInt64(group.size)
                        }
                    }
                }
                if command == .readUnprotect { exit = .reset }
                return .ok
            }
        case .write(let address, let data):
            guard address <= UInt64(UInt32.max), layout.sector(containing: UInt32(address)) != nil else { return .errTarget }
            guard let sectors = layout.sectors(from: UInt32(address), count: data.count) else { return .errAddress }
            guard sectors.allSatisfy({ $0.access.contains(.writable) }) else { return .errTarget }
            let erased = sectors.allSatisfy { !$0.access.contains(.erasable) || erasedSectors.contains($0.address) }
            guard erased, memory.isErased(UInt32(address), count: data.count) else { return .errCheckErased }
            memory.write(data, at: UInt32(address))
            return .ok
        }
    }

    private mutating func erase(_ sector: DfuSeSector) {
        memory.erase(sector.address, count: sector.size)
        erasedSectors.insert(sector.address)
    }

    private mutating func upload(block: UInt16, length: Int) -> EmulatedDFUDevice.Reply {
        guard behaviour.canUpload, state == .idle || state == .uploadIdle else { return stall() }
        switch block {
        case 0:
            state = .idle
            return .data(Array(DfuSeCommand.supportedCodes.prefix(length)))
        case 1:
            return stall()
        default:
            let address = UInt64(addressPointer) + UInt64(block - 2) * UInt64(behaviour.transferSize)
            guard address <= UInt64(UInt32.max), let layout, let first = layout.sector(containing: UInt32(address)),
                  first.access.contains(.readable) else { return fail(.errTarget) }
            // Up to `length` bytes, stopping where readable memory stops.
            var end = address
            while end < address + UInt64(length), end <= UInt64(UInt32.max), let sector = layout.sector(containing: UInt32(end)),
                  sector.access.contains(.readable) {
                end = min(sector.end, address + UInt64(length))
            }
            let bytes = memory.read(UInt32(address), count: Int(end - address))
            // A short packet ends the upload (DFU 1.1 §6.2).
            state = bytes.count < length ? .idle : .uploadIdle
            return .data(bytes)
        }
    }

    private mutating func toIdle() {
        state = .idle
        status = .ok
        pending = nil
        outcome = .ok
    }

    private mutating func fail(_ code: DFUStatusCode) -> EmulatedDFUDevice.Reply {
        state = .error
        status = code
        pending = nil
        return .stall
    }

    private mutating func stall() -> EmulatedDFUDevice.Reply {
        if exit != nil { return .stall }
        return fail(.errStalledPacket)
    }
}
