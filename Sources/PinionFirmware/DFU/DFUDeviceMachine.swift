/// The device side of DFU 1.1 (§6–§7, the state diagram of appendix A) as a value: what a DFU
/// bootloader does with each class request in each state. Requests that are not allowed in the
/// current state stall and move it to dfuERROR with errSTALLEDPKT, as the spec says.
///
/// The emulated bootloaders (`EmulatedDFUDevice`) and `pinion-board`'s DFU mode both run it.
/// Knobs make it act like slow or failing parts: busy polls per block, a poll timeout, a block
/// that fails with errWRITE, manifestation that is intolerant, fails, or goes mute waiting for a
/// reset, an upload that is refused.
public struct DFUDeviceMachine: Sendable {
    /// How the bootloader behaves.
    public struct Behaviour: Sendable, Hashable {
        /// wTransferSize: the largest block it accepts.
        public var transferSize: Int = 4096
        /// bwPollTimeout reported while busy or manifesting, in ms.
        public var pollTimeoutMilliseconds: UInt32 = 0
        /// GETSTATUS replies in dfuDNBUSY before a block is written.
        public var busyPolls = 0
        /// GETSTATUS replies in dfuMANIFEST before manifestation completes.
        public var manifestPolls = 1
        /// Fail this block (by wBlockNum order, from 0) with errWRITE.
        public var failBlock: Int?
        /// bitManifestationTolerant: stays on the bus in dfuIDLE after manifestation.
        public var manifestationTolerant = true
        /// Manifestation fails with this status: the GETSTATUS that would end it stalls, the
        /// device goes to dfuERROR and stores nothing.
        public var manifestFailure: DFUStatusCode?
        /// Once manifested (intolerant parts), the device answers no request in
        /// dfuMANIFEST-WAIT-RESET: the GETSTATUS that ends manifestation and every request after
        /// it stall, the state stays, and only a USB reset starts the new image.
        public var silentUntilReset = false
        /// bitCanUpload.
        public var canUpload = true
        /// Largest image it can hold, in bytes (errADDRESS beyond).
        public var capacity = 16 * 1024 * 1024

        public init() {}
    }

    /// What the host sees for one control request.
    public enum Reply: Sendable, Equatable {
        case data([UInt8])
        case accepted
        case stall
    }

    public let behaviour: Behaviour
    public private(set) var state = DFUState.idle
    public private(set) var status = DFUStatusCode.ok
    /// What has been downloaded since the last idle.
    public private(set) var received: [UInt8] = []
    /// The image of the last completed manifestation, what the part now holds.
    public private(set) var stored: [UInt8]
    /// How many images were manifested.
    public private(set) var manifestations = 0

    private var blocksReceived = 0
    private var expectedBlock: UInt16 = 0
    private var busyLeft = 0
    private var manifestLeft = 0
    private var uploadOffset = 0

    public init(behaviour: Behaviour = Behaviour(), stored: [UInt8] = []) {
        self.behaviour = behaviour
        self.stored = stored
    }

    /// Handles one DFU class request (bRequest, wValue, wLength, OUT data).
    public mutating func handle(request: UInt8, value: UInt16, length: UInt16, data: [UInt8]) -> Reply {
        if behaviour.silentUntilReset && state == .manifestWaitReset { return .stall }
        guard let request = DFURequest(rawValue: request) else { return stall() }
        switch request {
        case .getStatus:
            guard let status = getStatus() else { return .stall }
            return .data(Array(status.bytes.prefix(Int(length))))
        case .getState:
            return .data([state.rawValue])
        case .clearStatus:
            guard state == .error else { return stall() }
            reset(to: .idle)
            return .accepted
        case .abort:
            guard [.idle, .downloadSync, .downloadIdle, .manifestSync, .uploadIdle].contains(state) else { return stall() }
            reset(to: .idle)
            return .accepted
        case .download:
            return download(block: value, data: data)
        case .upload:
            return upload(length: Int(length))
        case .detach:
            return stall()
        }
    }

    private mutating func download(block: UInt16, data: [UInt8]) -> Reply {
        guard state == .idle || state == .downloadIdle else { return stall() }
        if data.isEmpty {
            guard state == .downloadIdle else { return stall() }
            state = .manifestSync
            manifestLeft = behaviour.manifestPolls
            return .accepted
        }
        guard data.count <= behaviour.transferSize else { return stall() }
        if state == .downloadIdle && block != expectedBlock {
            return fail(.errNotDone)
        }
        if received.count + data.count > behaviour.capacity {
            return fail(.errAddress)
        }
        if blocksReceived == behaviour.failBlock {
            state = .downloadSync
            busyLeft = 0
            status = .errWrite
            return .accepted
        }
        received += data
        blocksReceived += 1
        expectedBlock = block &+ 1
        busyLeft = behaviour.busyPolls
        state = .downloadSync
        return .accepted
    }

    /// The GETSTATUS reply; nil when the request stalls.
    private mutating func getStatus() -> DFUStatus? {
        switch state {
        case .downloadSync, .downloadBusy:
            if status != .ok {
                state = .error
                return DFUStatus(status: status, state: .error)
            }
            if busyLeft > 0 {
                busyLeft -= 1
                state = .downloadBusy
                return DFUStatus(status: .ok, pollTimeoutMilliseconds: behaviour.pollTimeoutMilliseconds, state: .downloadBusy)
            }
            state = .downloadIdle
        case .manifestSync, .manifest:
            if manifestLeft > 0 {
                manifestLeft -= 1
                state = .manifest
                return DFUStatus(status: .ok, pollTimeoutMilliseconds: behaviour.pollTimeoutMilliseconds, state: .manifest)
            }
            if let failure = behaviour.manifestFailure {
                received = []
                blocksReceived = 0
                state = .error
                status = failure
                return nil
            }
            stored = received
            manifestations += 1
            received = []
            blocksReceived = 0
            state = behaviour.manifestationTolerant ? .idle : .manifestWaitReset
            if behaviour.silentUntilReset && state == .manifestWaitReset { return nil }
        default:
            break
        }
        return DFUStatus(status: status, state: state)
    }

    private mutating func upload(length: Int) -> Reply {
        guard behaviour.canUpload, state == .idle || state == .uploadIdle else { return stall() }
        if state == .idle { uploadOffset = 0 }
        let chunk = Array(stored[min(uploadOffset, stored.count)..<min(uploadOffset + length, stored.count)])
        uploadOffset += chunk.count
        // A short packet ends the upload (DFU 1.1 §6.2).
        state = chunk.count < length ? .idle : .uploadIdle
        return .data(chunk)
    }

    private mutating func reset(to newState: DFUState) {
        state = newState
        status = .ok
        received = []
        blocksReceived = 0
        expectedBlock = 0
        busyLeft = 0
        uploadOffset = 0
    }

    private mutating func fail(_ code: DFUStatusCode) -> Reply {
        state = .error
        status = code
        return .stall
    }

    private mutating func stall() -> Reply {
        fail(.errStalledPacket)
    }
}
