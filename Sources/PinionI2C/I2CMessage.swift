/// One message of a combined I2C transfer (I2C_RDWR): a START (or repeated START), the address
/// with its R/W bit, then bytes written or read. Messages of one transfer are joined by repeated
/// STARTs; one STOP ends the transfer.
public struct I2CMessage: Hashable, Sendable, CustomStringConvertible {
    /// Per-message flags from `struct i2c_msg`. Most need adapter support (see `I2CFunctionality`).
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The first byte read is a count (1–32) of bytes that follow, as in SMBus block read. I2C_M_RECV_LEN.
        public static let receiveLength = Flags(rawValue: 0x0400)
        /// The master does not ACK read bytes. I2C_M_NO_RD_ACK.
        public static let noReadAcknowledge = Flags(rawValue: 0x0800)
        /// Treat a NACK from the target as an ACK. I2C_M_IGNORE_NAK.
        public static let ignoreNAK = Flags(rawValue: 0x1000)
        /// Invert the R/W bit. I2C_M_REV_DIR_ADDR.
        public static let reverseDirection = Flags(rawValue: 0x2000)
        /// No START/address before this message. I2C_M_NOSTART.
        public static let noStart = Flags(rawValue: 0x4000)
        /// Send a STOP after this message. I2C_M_STOP.
        public static let stop = Flags(rawValue: 0x8000)
    }

    /// The kernel's I2C_M_RD bit.
    static let readFlag: UInt16 = 0x0001

    public var address: I2CAddress
    public var direction: I2CDirection
    /// The bytes to write; empty for reads.
    public var bytes: [UInt8]
    /// Bytes to read; for writes, `bytes.count`. With `.receiveLength`, the most that may come (1 + 32).
    public var length: Int
    public var flags: Flags

    /// A write message.
    public static func write(_ address: I2CAddress, _ bytes: [UInt8], flags: Flags = []) -> I2CMessage {
        I2CMessage(address: address, direction: .write, bytes: bytes, length: bytes.count, flags: flags)
    }

    /// A read message of `count` bytes.
    public static func read(_ address: I2CAddress, count: Int, flags: Flags = []) -> I2CMessage {
        I2CMessage(address: address, direction: .read, bytes: [], length: count, flags: flags)
    }

    /// A read whose length the target sends first (SMBus block read over I2C). The result holds
    /// the count byte followed by the data.
    public static func readBlock(_ address: I2CAddress) -> I2CMessage {
        I2CMessage(address: address, direction: .read, bytes: [], length: 1 + SMBusTransaction.maximumBlockLength, flags: .receiveLength)
    }

    /// The `flags` field of `struct i2c_msg`: I2C_M_RD plus `flags`.
    public var kernelFlags: UInt16 { flags.rawValue | (direction == .read ? Self.readFlag : 0) }

    public var description: String {
        switch direction {
        case .write: "\(address) W [\(hexBytes(bytes))]"
        case .read: "\(address) R \(flags.contains(.receiveLength) ? "block" : String(length))"
        }
    }
}

/// `01 a0 ff`: how traces and errors print bytes.
func hexBytes(_ bytes: [UInt8]) -> String {
    bytes.map(hex2).joined(separator: " ")
}
