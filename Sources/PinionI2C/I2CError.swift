import Glibc

/// An I2C failure: what kind, the errno the kernel (or the emulator, which uses the same
/// numbers) gave, and where it happened — bus, address, register.
///
/// A NACK from an absent chip, a timeout on a stuck bus and an address claimed by a kernel
/// driver are expected events; callers switch on `code`. `description` is one line a
/// technician can act on.
public struct I2CError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. `Code(transferErrno:)` and `Code(openErrno:)` classify errno values
    /// after the kernel's Documentation/i2c/fault-codes.rst.
    public enum Code: Hashable, Sendable, CaseIterable {
        /// Nothing acknowledged the address (or a data byte). ENXIO, EREMOTEIO; ENODEV from
        /// adapters such as i2c-stub.
        case noAcknowledge
        /// The adapter gave up waiting (bus stuck, clock stretched too long). ETIMEDOUT.
        case timedOut
        /// On I2C_SLAVE: the address is claimed by a kernel driver; elsewhere: the adapter is busy. EBUSY.
        case busy
        /// The device node cannot be opened by this user. EACCES, EPERM.
        case permissionDenied
        /// No such bus: the /dev/i2c-N node does not exist. ENOENT (ENXIO, ENODEV on open).
        case noSuchBus
        /// The adapter cannot perform this kind of transaction. EOPNOTSUPP; ENOTTY when the node is not an i2c-dev node.
        case notSupported
        /// The request is malformed (block too long, too many messages). EINVAL.
        case invalidArgument
        /// Another master won arbitration. EAGAIN.
        case arbitrationLost
        /// The target's answer broke the protocol: bad block length, PEC mismatch. EPROTO, EBADMSG, EOVERFLOW.
        case protocolError
        /// A bus error the adapter could not classify. EIO.
        case io
        /// Any other errno; see `I2CError.errno`.
        case other

        /// Classifies an errno from an ioctl on an open bus.
        public init(transferErrno errno: Int32) {
            switch errno {
            case ENXIO, EREMOTEIO, ENODEV: self = .noAcknowledge
            case ETIMEDOUT: self = .timedOut
            case EBUSY: self = .busy
            case EACCES, EPERM: self = .permissionDenied
            case ENOENT: self = .noSuchBus
            case EOPNOTSUPP, ENOTTY: self = .notSupported
            case EINVAL: self = .invalidArgument
            case EAGAIN: self = .arbitrationLost
            case EPROTO, EBADMSG, EOVERFLOW: self = .protocolError
            case EIO: self = .io
            default: self = .other
            }
        }

        /// Classifies an errno from open(2) of a bus node.
        public init(openErrno errno: Int32) {
            switch errno {
            case ENOENT, ENXIO, ENODEV: self = .noSuchBus
            case EACCES, EPERM: self = .permissionDenied
            default: self.init(transferErrno: errno)
            }
        }

        /// The errno a backend without a kernel (the emulator, injected faults) reports for this code.
        public var canonicalErrno: Int32 {
            switch self {
            case .noAcknowledge: ENXIO
            case .timedOut: ETIMEDOUT
            case .busy: EBUSY
            case .permissionDenied: EACCES
            case .noSuchBus: ENOENT
            case .notSupported: EOPNOTSUPP
            case .invalidArgument: EINVAL
            case .arbitrationLost: EAGAIN
            case .protocolError: EPROTO
            case .io: EIO
            case .other: EIO
            }
        }

        var summary: String {
            switch self {
            case .noAcknowledge: "no acknowledge"
            case .timedOut: "timed out"
            case .busy: "busy"
            case .permissionDenied: "permission denied"
            case .noSuchBus: "no such bus"
            case .notSupported: "not supported by the adapter"
            case .invalidArgument: "invalid request"
            case .arbitrationLost: "lost arbitration"
            case .protocolError: "protocol error"
            case .io: "I/O error"
            case .other: "failed"
            }
        }
    }

    /// What was being done when it failed.
    public enum Operation: Hashable, Sendable, CustomStringConvertible {
        /// open(2) of the bus node.
        case open
        /// The I2C_FUNCS ioctl.
        case functionality
        /// The I2C_SLAVE ioctl: selecting the target address before an SMBus transaction.
        case setAddress
        /// An SMBus transaction (I2C_SMBUS), by its name ("read word data").
        case smbus(String)
        /// A combined transfer (I2C_RDWR) of this many messages.
        case transfer(messages: Int)
        /// The I2C_TIMEOUT ioctl.
        case setTimeout
        /// Something else, named.
        case named(String)

        public var description: String {
            switch self {
            case .open: "open"
            case .functionality: "get functionality"
            case .setAddress: "set address"
            case .smbus(let name): name
            case .transfer(let count): "transfer of \(count) message\(count == 1 ? "" : "s")"
            case .setTimeout: "set timeout"
            case .named(let name): name
            }
        }
    }

    public var code: Code
    /// The errno as the kernel returned it (or `code.canonicalErrno` from the emulator).
    public var errno: Int32
    public var operation: Operation
    /// The bus's name (`i2c-1`), when known.
    public var bus: String?
    public var address: I2CAddress?
    /// The register (SMBus command) addressed, when there is one.
    public var register: UInt8?
    /// Extra context: a path, the reason for EINVAL, "injected fault".
    public var detail: String?

    /// An error from an errno returned by a transfer ioctl (or open, with `operation: .open`).
    public init(errno: Int32, operation: Operation, bus: String? = nil, address: I2CAddress? = nil,
                register: UInt8? = nil, detail: String? = nil) {
        self.code = operation == .open ? Code(openErrno: errno) : Code(transferErrno: errno)
        self.errno = errno
        self.operation = operation
        self.bus = bus
        self.address = address
        self.register = register
        self.detail = detail
    }

    /// An error of a given kind with that kind's canonical errno (emulator, fault injection, validation).
    public init(_ code: Code, operation: Operation, bus: String? = nil, address: I2CAddress? = nil,
                register: UInt8? = nil, detail: String? = nil) {
        self.code = code
        self.errno = code.canonicalErrno
        self.operation = operation
        self.bus = bus
        self.address = address
        self.register = register
        self.detail = detail
    }

    /// The C name of `errno` (`ENXIO`), or `errno 123`.
    public var errnoName: String { Self.errnoName(errno) }

    /// True for a claimed address met while selecting it: what i2cdetect shows as `UU`.
    public var isAddressClaimed: Bool { code == .busy && operation == .setAddress }

    /// What to do about it, when there is something to do.
    public var advice: String? {
        switch code {
        case .noAcknowledge:
            "nothing answered\(address.map { " at \($0)" } ?? ""); check the address, the wiring and the chip's power"
        case .timedOut:
            "the bus or the chip is stuck (SDA held low?); power-cycle the chip or reset the adapter"
        case .busy where operation == .setAddress:
            "address claimed by a kernel driver (i2cdetect shows UU); unbind that driver or read the chip through its hwmon files"
        case .busy:
            "the adapter is busy; retry"
        case .permissionDenied:
            "add the user to group 'pinion' and install udev/70-pinion.rules, which gives /dev/i2c-* to that group"
        case .noSuchBus:
            "check the bus number against /sys/class/i2c-dev; if that directory is missing: modprobe i2c-dev"
        case .notSupported:
            "the adapter cannot do this transaction (see its functionality: i2cdetect -F)"
        case .arbitrationLost:
            "another master is using the bus; retry"
        case .protocolError:
            "the answer was malformed; check for noise on the bus or a different chip at this address"
        case .io:
            "check the wiring and the pull-ups"
        case .invalidArgument, .other:
            nil
        }
    }

    public var description: String {
        var location: [String] = []
        if let bus { location.append(bus) }
        if let address { location.append(address.description) }
        if let register { location.append("reg 0x\(hex2(register))") }
        var line = location.isEmpty ? "I2C" : location.joined(separator: " ")
        line += ": \(operation) failed: \(code.summary) (\(errnoName))"
        if let detail { line += ": \(detail)" }
        if let advice { line += "; \(advice)" }
        return line
    }

    /// The same error with a bus name added when it has none.
    public func on(bus name: String) -> I2CError {
        var copy = self
        if copy.bus == nil { copy.bus = name }
        return copy
    }

    static func errnoName(_ value: Int32) -> String {
        switch value {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EIO: "EIO"
        case ENXIO: "ENXIO"
        case EAGAIN: "EAGAIN"
        case EACCES: "EACCES"
        case EBUSY: "EBUSY"
        case ENODEV: "ENODEV"
        case EINVAL: "EINVAL"
        case ENOTTY: "ENOTTY"
        case EPROTO: "EPROTO"
        case EBADMSG: "EBADMSG"
        case EOVERFLOW: "EOVERFLOW"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case ETIMEDOUT: "ETIMEDOUT"
        case EREMOTEIO: "EREMOTEIO"
        default: "errno \(value)"
        }
    }
}
