import CI2C
import Glibc
import PinionI2C
import Synchronization

/// An I2C adapter through Linux i2c-dev: `/dev/i2c-N`.
///
/// Opens the node read-write, selects each target with I2C_SLAVE (never I2C_SLAVE_FORCE, so an
/// address claimed by a kernel driver fails with `.busy` instead of racing the driver), runs
/// SMBus transactions with I2C_SMBUS and combined transfers with I2C_RDWR. Every system call
/// goes through one private function; every operation through `taps`.
///
/// Thread-safe: the file descriptor and the selected address are behind a mutex, so one
/// operation (select + transfer) completes before another starts. The node is closed when the
/// last reference goes away.
public final class LinuxI2CBus: I2CBus {
    public let name: String
    /// The device node, `/dev/i2c-1`.
    public let path: String
    /// The chokepoint's taps; add tracing or fault injection here.
    public let taps: I2CTapChain

    private struct State {
        var fd: Int32
        var selected: I2CAddress?
        var functionality: I2CFunctionality?
    }

    private let state: Mutex<State>

    /// An errno from a failed system call.
    private struct Errno: Error {
        var value: Int32
    }

    /// Opens `/dev/i2c-<number>` (under `deviceDirectory`).
    public convenience init(number: Int, deviceDirectory: String = "/dev", taps: [any I2CTap] = []) throws(I2CError) {
        try self.init(path: "\(deviceDirectory)/i2c-\(number)", name: "i2c-\(number)", taps: taps)
    }

    /// Opens the i2c-dev node at `path`; `name` defaults to its last path component.
    public init(path: String, name: String? = nil, taps: [any I2CTap] = []) throws(I2CError) {
        let busName = name ?? String(path.split(separator: "/").last ?? Substring(path))
        let fd: Int32
        switch Self.system({ open(path, O_RDWR | O_CLOEXEC) }) {
        case .success(let value): fd = value
        case .failure(let failure): throw I2CError(errno: failure.value, operation: .open, bus: busName, detail: path)
        }
        self.name = busName
        self.path = path
        self.taps = I2CTapChain(taps)
        self.state = Mutex(State(fd: fd))
    }

    deinit {
        let fd = state.withLock { $0.fd }
        _ = Self.system { close(fd) }
    }

    public func functionality() throws(I2CError) -> I2CFunctionality {
        try state.withLock { state throws(I2CError) in
            if let cached = state.functionality { return cached }
            var bits: UInt = 0
            let result = withUnsafeMutablePointer(to: &bits) { pointer in
                Self.ioctl(state.fd, request: I2C_FUNCS, pointer: UnsafeMutableRawPointer(pointer))
            }
            if case .failure(let failure) = result {
                throw I2CError(errno: failure.value, operation: .functionality, bus: name, detail: path)
            }
            let functionality = I2CFunctionality(rawValue: UInt32(truncatingIfNeeded: bits))
            state.functionality = functionality
            return functionality
        }
    }

    /// Sets the adapter's timeout (I2C_TIMEOUT, rounded up to 10 ms units). Affects every user of the adapter.
    public func setTimeout(_ timeout: Duration) throws(I2CError) {
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let units = UInt(max(1, (milliseconds + 9) / 10))
        try state.withLock { state throws(I2CError) in
            if case .failure(let failure) = Self.ioctl(state.fd, request: I2C_TIMEOUT, value: units) {
                throw I2CError(errno: failure.value, operation: .setTimeout, bus: name)
            }
        }
    }

    public func smbus(_ transaction: SMBusTransaction, address: I2CAddress) throws(I2CError) -> SMBusResult {
        try taps.smbus(transaction, address: address, bus: name) { () throws(I2CError) in
            if let reason = transaction.validationFailure() {
                throw I2CError(.invalidArgument, operation: .smbus(transaction.name), address: address,
                               register: transaction.register, detail: reason)
            }
            return try state.withLock { state throws(I2CError) in
                try select(address, register: transaction.register, in: &state)
                return try Self.perform(transaction, fd: state.fd).mapError { failure in
                    I2CError(errno: failure.value, operation: .smbus(transaction.name), address: address, register: transaction.register)
                }.get()
            }
        }
    }

    public func transfer(_ messages: [I2CMessage]) throws(I2CError) -> [[UInt8]] {
        try taps.transfer(messages, bus: name) { () throws(I2CError) in
            if let reason = I2CLimits.validate(messages) {
                throw I2CError(.invalidArgument, operation: .transfer(messages: messages.count),
                               address: messages.first?.address, detail: reason)
            }
            return try state.withLock { state throws(I2CError) in
                try Self.perform(messages, fd: state.fd).mapError { failure in
                    I2CError(errno: failure.value, operation: .transfer(messages: messages.count), address: messages.first?.address)
                }.get()
            }
        }
    }

    private func select(_ address: I2CAddress, register: UInt8?, in state: inout State) throws(I2CError) {
        guard state.selected != address else { return }
        state.selected = nil
        if case .failure(let failure) = Self.ioctl(state.fd, request: I2C_SLAVE, value: UInt(address.rawValue)) {
            throw I2CError(errno: failure.value, operation: .setAddress, address: address, register: register)
        }
        state.selected = address
    }

    private static func perform(_ transaction: SMBusTransaction, fd: Int32) -> Result<SMBusResult, Errno> {
        var data = i2c_smbus_data()
        let size: Int32
        var command: UInt8 = transaction.register ?? 0
        var usesData = true
        withUnsafeMutableBytes(of: &data) { raw in
            switch transaction {
            case .writeByteData(_, let value): raw[0] = value
            case .writeWordData(_, let value), .processCall(_, let value): raw.storeBytes(of: value, as: UInt16.self)
            case .writeBlockData(_, let bytes), .writeI2CBlockData(_, let bytes):
                raw[0] = UInt8(bytes.count)
                for (index, byte) in bytes.enumerated() { raw[1 + index] = byte }
            case .readI2CBlockData(_, let length): raw[0] = UInt8(length)
            default: break
            }
        }
        switch transaction {
        case .quick: size = I2C_SMBUS_QUICK; usesData = false
        case .receiveByte: size = I2C_SMBUS_BYTE
        case .sendByte(let value): size = I2C_SMBUS_BYTE; command = value; usesData = false
        case .readByteData, .writeByteData: size = I2C_SMBUS_BYTE_DATA
        case .readWordData, .writeWordData: size = I2C_SMBUS_WORD_DATA
        case .processCall: size = I2C_SMBUS_PROC_CALL
        case .readBlockData, .writeBlockData: size = I2C_SMBUS_BLOCK_DATA
        case .readI2CBlockData, .writeI2CBlockData: size = I2C_SMBUS_I2C_BLOCK_DATA
        }
        let result = withUnsafeMutablePointer(to: &data) { dataPointer in
            var arguments = i2c_smbus_ioctl_data(read_write: transaction.direction.rawValue, command: command,
                                                 size: UInt32(size), data: usesData ? dataPointer : nil)
            return withUnsafeMutablePointer(to: &arguments) { ioctl(fd, request: I2C_SMBUS, pointer: UnsafeMutableRawPointer($0)) }
        }
        if case .failure(let failure) = result { return .failure(failure) }
        return withUnsafeBytes(of: &data) { raw -> Result<SMBusResult, Errno> in
            switch transaction {
            case .receiveByte, .readByteData: return .success(.byte(raw[0]))
            case .readWordData, .processCall: return .success(.word(raw.load(as: UInt16.self)))
            case .readBlockData:
                let count = Int(raw[0])
                guard (1...SMBusTransaction.maximumBlockLength).contains(count) else { return .failure(Errno(value: EPROTO)) }
                return .success(.block(Array(raw[1...count])))
            case .readI2CBlockData:
                let count = min(Int(raw[0]), SMBusTransaction.maximumBlockLength)
                return .success(.block(Array(raw[1..<(1 + count)])))
            default: return .success(.none)
            }
        }
    }

    private static func perform(_ messages: [I2CMessage], fd: Int32) -> Result<[[UInt8]], Errno> {
        let buffers = messages.map { UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, $0.length)) }
        defer { buffers.forEach { $0.deallocate() } }
        var kernelMessages: [i2c_msg] = []
        for (message, buffer) in zip(messages, buffers) {
            buffer.initialize(repeating: 0, count: max(1, message.length))
            if message.direction == .write {
                for (index, byte) in message.bytes.enumerated() { buffer[index] = byte }
            } else if message.flags.contains(.receiveLength) {
                buffer[0] = 1
            }
            kernelMessages.append(i2c_msg(addr: UInt16(message.address.rawValue), flags: message.kernelFlags,
                                          len: UInt16(message.length), buf: buffer))
        }
        let result = kernelMessages.withUnsafeMutableBufferPointer { pointer in
            var arguments = i2c_rdwr_ioctl_data(msgs: pointer.baseAddress, nmsgs: UInt32(pointer.count))
            return withUnsafeMutablePointer(to: &arguments) { ioctl(fd, request: I2C_RDWR, pointer: UnsafeMutableRawPointer($0)) }
        }
        switch result {
        case .failure(let failure): return .failure(failure)
        case .success(let transferred) where transferred != messages.count: return .failure(Errno(value: EIO))
        case .success: break
        }
        var results: [[UInt8]] = []
        for (message, buffer) in zip(messages, buffers) {
            switch message.direction {
            case .write: results.append([])
            case .read where message.flags.contains(.receiveLength):
                let count = Int(buffer[0])
                guard count <= SMBusTransaction.maximumBlockLength else { return .failure(Errno(value: EPROTO)) }
                results.append(Array(UnsafeBufferPointer(start: buffer, count: 1 + count)))
            case .read: results.append(Array(UnsafeBufferPointer(start: buffer, count: message.length)))
            }
        }
        return .success(results)
    }

    private static func ioctl(_ fd: Int32, request: Int32, value: UInt) -> Result<Int32, Errno> {
        system { pinion_i2c_ioctl_value(fd, UInt(request), value) }
    }

    private static func ioctl(_ fd: Int32, request: Int32, pointer: UnsafeMutableRawPointer) -> Result<Int32, Errno> {
        system { pinion_i2c_ioctl_pointer(fd, UInt(request), pointer) }
    }

    /// The one place this type makes system calls: runs `call`, retries on EINTR, and returns
    /// its non-negative result or the errno it set.
    private static func system(_ call: () -> Int32) -> Result<Int32, Errno> {
        while true {
            let result = call()
            if result >= 0 { return .success(result) }
            let error = errno
            if error != EINTR { return .failure(Errno(value: error)) }
        }
    }
}
