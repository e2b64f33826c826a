/// What an `I2CScanner` found: one entry per address in the scanned range.
///
/// Codable for `--json`: addresses are numbers, status and probe are strings.
public struct I2CScanResult: Hashable, Sendable, Codable {
    /// What probing one address found.
    public enum Status: String, Hashable, Sendable, Codable {
        /// The probe was acknowledged.
        case present
        /// The probe was not acknowledged (NACK).
        case absent
        /// A kernel driver holds the address (I2C_SLAVE gave EBUSY); not probed. i2cdetect's `UU`.
        case busy
        /// The adapter cannot do the probe this address needs; skipped.
        case notProbed
        /// The probe failed with something other than a NACK (timeout, arbitration, I/O error); see `error`.
        case failed
    }

    /// One probed (or skipped) address.
    public struct Entry: Hashable, Sendable, Codable {
        public var address: I2CAddress
        public var probe: I2CScanner.Probe
        public var status: Status
        /// The failure, for `.failed`: one line naming bus, address and errno.
        public var error: String?
        /// The errno, for `.failed`.
        public var errno: Int32?

        public init(address: I2CAddress, probe: I2CScanner.Probe, status: Status, error: I2CError? = nil) {
            self.address = address
            self.probe = probe
            self.status = status
            self.error = error?.description
            self.errno = error?.errno
        }
    }

    /// The bus's name (`i2c-1`).
    public var bus: String
    public var mode: I2CScanner.Mode
    public var first: I2CAddress
    public var last: I2CAddress
    /// The adapter's functionality, which decided what could be probed.
    public var functionality: I2CFunctionality
    /// One entry per address from `first` to `last`, in order.
    public var entries: [Entry]
    /// Addresses skipped for lack of a probe, in i2cdetect's spirit: printed before the grid.
    public var warnings: [String]

    public init(bus: String, mode: I2CScanner.Mode, first: I2CAddress, last: I2CAddress,
                functionality: I2CFunctionality, entries: [Entry], warnings: [String]) {
        self.bus = bus
        self.mode = mode
        self.first = first
        self.last = last
        self.functionality = functionality
        self.entries = entries
        self.warnings = warnings
    }

    /// What was found at `address`; nil outside the scanned range.
    public func status(of address: I2CAddress) -> Status? {
        entries.first { $0.address == address }?.status
    }

    /// Addresses that acknowledged.
    public var present: [I2CAddress] { addresses(.present) }
    /// Addresses held by kernel drivers.
    public var claimed: [I2CAddress] { addresses(.busy) }
    /// Entries whose probe failed with something other than a NACK.
    public var failures: [Entry] { entries.filter { $0.status == .failed } }

    private func addresses(_ status: Status) -> [I2CAddress] {
        entries.filter { $0.status == status }.map(\.address)
    }
}
