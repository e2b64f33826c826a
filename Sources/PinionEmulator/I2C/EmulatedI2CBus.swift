import PinionI2C
import Synchronization

/// An I2C adapter in process: chips (`EmulatedI2CDevice`) attached at addresses, driven at the
/// wire level, so SMBus transactions and I2C_RDWR transfers reach them as on a real bus.
///
/// It fails the way Linux i2c-dev does: an absent address NACKs (`.noAcknowledge`, ENXIO); an
/// address `claim`ed by a "kernel driver" makes SMBus transactions fail at I2C_SLAVE with EBUSY
/// (i2cdetect's `UU`) while I2C_RDWR still reaches it, as i2c-dev does not check claims for
/// I2C_RDWR; a transaction outside `functionality` fails with EOPNOTSUPP. Every operation
/// passes `taps` (fault injection, traces); the latest transfers that reached the wire are in
/// `log` (at most `logLimit`; older ones are counted in `forgottenTransactions`, so a simulated
/// gateway sampled at 100 Hz for days holds a bounded log, not every transfer it ever made).
///
/// Thread-safe: one operation at a time, under the bus's mutex.
public final class EmulatedI2CBus: I2CBus {
    public let name: String
    /// The chokepoint's taps.
    public let taps: I2CTapChain

    private struct State {
        var functionality: I2CFunctionality
        var devices: [I2CAddress: any EmulatedI2CDevice] = [:]
        var claimed: Set<I2CAddress> = []
        var log: [EmulatedI2CTransaction] = []
        var forgotten = 0
    }

    private let state: Mutex<State>

    /// A typical I2C adapter: plain I2C plus every SMBus transaction the kernel emulates over it.
    public static let defaultFunctionality: I2CFunctionality = I2CFunctionality.i2c.union(.smbusEmulatedAll)

    /// How many of the latest transactions `log` keeps.
    public let logLimit: Int

    public init(name: String = "i2c-emulated", functionality: I2CFunctionality = EmulatedI2CBus.defaultFunctionality,
                taps: [any I2CTap] = [], logLimit: Int = 10_000) {
        self.name = name
        self.taps = I2CTapChain(taps)
        self.logLimit = max(logLimit, 1)
        self.state = Mutex(State(functionality: functionality))
    }

    /// Puts `device` on the bus at `address`, replacing whatever was there.
    public func attach(_ device: any EmulatedI2CDevice, at address: I2CAddress) {
        state.withLock { $0.devices[address] = device }
    }

    /// Takes the device at `address` off the bus.
    public func detach(at address: I2CAddress) {
        state.withLock { _ = $0.devices.removeValue(forKey: address) }
    }

    /// Marks `address` as bound to a kernel driver: I2C_SLAVE on it fails with EBUSY.
    public func claim(_ address: I2CAddress) {
        state.withLock { _ = $0.claimed.insert(address) }
    }

    /// Unbinds the "kernel driver" from `address`.
    public func release(_ address: I2CAddress) {
        state.withLock { _ = $0.claimed.remove(address) }
    }

    /// Changes what the adapter reports and accepts (e.g. `I2CFunctionality.i2cStub`).
    public func setFunctionality(_ functionality: I2CFunctionality) {
        state.withLock { $0.functionality = functionality }
    }

    /// The latest transfers that reached the wire (up to `logLimit`), oldest first.
    public var log: [EmulatedI2CTransaction] { state.withLock { $0.log } }

    /// Transfers that reached the wire but were dropped from the front of `log` to keep it within `logLimit`.
    public var forgottenTransactions: Int { state.withLock { $0.forgotten } }

    /// Forgets the log.
    public func clearLog() { state.withLock { $0.log.removeAll() } }

    public func functionality() throws(I2CError) -> I2CFunctionality {
        state.withLock { $0.functionality }
    }

    public func smbus(_ transaction: SMBusTransaction, address: I2CAddress) throws(I2CError) -> SMBusResult {
        try taps.smbus(transaction, address: address, bus: name) { () throws(I2CError) in
            let operation = I2CError.Operation.smbus(transaction.name)
            if let reason = transaction.validationFailure() {
                throw I2CError(.invalidArgument, operation: operation, address: address, register: transaction.register, detail: reason)
            }
            return try state.withLock { state throws(I2CError) in
                if state.claimed.contains(address) {
                    throw I2CError(.busy, operation: .setAddress, address: address, register: transaction.register)
                }
                guard state.functionality.contains(transaction.requiredFunctionality) else {
                    throw I2CError(.notSupported, operation: operation, address: address, register: transaction.register,
                                   detail: "\(name) cannot do SMBus \(transaction.name)")
                }
                let reads = try Self.run(WireMessage.messages(for: transaction, address: address), in: &state, logLimit: logLimit)
                    .mapError { $0.with(operation: operation, register: transaction.register) }.get()
                return try Self.result(of: transaction, from: reads.last ?? [], address: address)
            }
        }
    }

    public func transfer(_ messages: [I2CMessage]) throws(I2CError) -> [[UInt8]] {
        try taps.transfer(messages, bus: name) { () throws(I2CError) in
            let operation = I2CError.Operation.transfer(messages: messages.count)
            if let reason = I2CLimits.validate(messages) {
                throw I2CError(.invalidArgument, operation: operation, address: messages.first?.address, detail: reason)
            }
            return try state.withLock { state throws(I2CError) in
                guard state.functionality.contains(.i2c) else {
                    throw I2CError(.notSupported, operation: operation, address: messages.first?.address,
                                   detail: "\(name) does SMBus only, no plain I2C transfers")
                }
                return try Self.run(messages.map(WireMessage.init), in: &state, logLimit: logLimit)
                    .mapError { $0.with(operation: operation, register: nil) }.get()
            }
        }
    }

    /// Drives `messages` onto the wire as one transfer (repeated STARTs, one STOP per device).
    /// Returns, per message, the bytes read (empty for writes).
    private static func run(_ messages: [WireMessage], in state: inout State, logLimit: Int) -> Result<[[UInt8]], WireFault> {
        defer { trimLog(&state, to: logLimit) }
        var results: [[UInt8]] = []
        // The devices addressed, each once (a transfer addresses one or two: no hashing needed).
        var touched: [any EmulatedI2CDevice] = []
        var fault: WireFault?
        for message in messages {
            if results.isEmpty || state.log.last?.address != message.address {
                state.log.append(EmulatedI2CTransaction(address: message.address, segments: []))
            }
            guard let device = state.devices[message.address] else {
                if case .write = message.kind {
                    state.log[state.log.count - 1].segments.append(.write([]))
                } else {
                    state.log[state.log.count - 1].segments.append(.read([]))
                }
                state.log[state.log.count - 1].acknowledged = false
                fault = WireFault(code: .noAcknowledge, address: message.address, detail: nil)
                break
            }
            if !touched.contains(where: { $0 === device }) { touched.append(device) }
            switch message.kind {
            case .write(let bytes):
                device.start(.write)
                var sent: [UInt8] = []
                for byte in bytes {
                    sent.append(byte)
                    if !device.write(byte) {
                        fault = WireFault(code: .noAcknowledge, address: message.address, detail: "data byte \(sent.count) not acknowledged")
                        break
                    }
                }
                state.log[state.log.count - 1].segments.append(.write(sent))
                if fault != nil { state.log[state.log.count - 1].acknowledged = false }
                results.append([])
            case .read(let count):
                device.start(.read)
                let bytes = (0..<count).map { _ in device.read() }
                state.log[state.log.count - 1].segments.append(.read(bytes))
                results.append(bytes)
            case .readBlock:
                device.start(.read)
                let length = device.read()
                var bytes = [length]
                if (1...SMBusTransaction.maximumBlockLength).contains(Int(length)) {
                    bytes += (0..<Int(length)).map { _ in device.read() }
                } else {
                    fault = WireFault(code: .protocolError, address: message.address, detail: "block length \(length) (1–32 allowed)")
                }
                state.log[state.log.count - 1].segments.append(.read(bytes))
                results.append(bytes)
            }
            if fault != nil { break }
        }
        for device in touched { device.stop() }
        if let fault { return .failure(fault) }
        return .success(results)
    }

    /// Drops the oldest entries once the log is a quarter over `limit` (amortised: not one shift per transfer).
    private static func trimLog(_ state: inout State, to limit: Int) {
        guard state.log.count > limit + limit / 4 else { return }
        let excess = state.log.count - limit
        state.log.removeFirst(excess)
        state.forgotten += excess
    }

    private static func result(of transaction: SMBusTransaction, from bytes: [UInt8], address: I2CAddress) throws(I2CError) -> SMBusResult {
        switch transaction {
        case .receiveByte, .readByteData: return .byte(bytes[0])
        case .readWordData, .processCall: return .word(UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
        case .readBlockData: return .block(Array(bytes.dropFirst()))
        case .readI2CBlockData: return .block(bytes)
        default: return .none
        }
    }
}

/// A failure on the emulated wire, before it is given its operation.
private struct WireFault: Error {
    var code: I2CError.Code
    var address: I2CAddress
    var detail: String?

    func with(operation: I2CError.Operation, register: UInt8?) -> I2CError {
        I2CError(code, operation: operation, address: address, register: register, detail: detail)
    }
}
