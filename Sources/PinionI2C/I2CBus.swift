/// An I2C adapter: the small protocol sensor drivers depend on, never a file descriptor.
///
/// Each kind of transfer has one primitive — `smbus(_:address:)` for SMBus transactions,
/// `transfer(_:)` for combined I2C transfers — and every backend passes both through one
/// chokepoint (`I2CTapChain`) where taps trace and inject faults. The conveniences drivers use
/// (`readWordData`, `readRegister16BigEndian`, …) are built on these in a protocol extension.
///
/// Implementations are thread-safe: one operation completes before the next starts.
/// Drivers borrow a bus; they do not own or close it.
public protocol I2CBus: AnyObject, Sendable {
    /// How errors and traces name the bus: `i2c-1`.
    var name: String { get }

    /// What the adapter can do (I2C_FUNCS).
    func functionality() throws(I2CError) -> I2CFunctionality

    /// Performs one SMBus transaction with the target at `address`.
    func smbus(_ transaction: SMBusTransaction, address: I2CAddress) throws(I2CError) -> SMBusResult

    /// Performs one combined transfer (I2C_RDWR, at most 42 messages, repeated STARTs between
    /// them). Returns one array per message: the bytes read, empty for write messages.
    func transfer(_ messages: [I2CMessage]) throws(I2CError) -> [[UInt8]]
}

/// Limits the kernel's i2c-dev enforces, checked the same way by every backend.
public enum I2CLimits {
    /// I2C_RDWR_IOCTL_MAX_MSGS.
    public static let maximumMessagesPerTransfer = 42
    /// i2c-dev refuses messages longer than this (8192 bytes).
    public static let maximumMessageLength = 8192

    /// The reason the kernel would answer EINVAL, or nil when the transfer is acceptable.
    public static func validate(_ messages: [I2CMessage]) -> String? {
        if messages.isEmpty { return "a transfer needs at least one message" }
        if messages.count > maximumMessagesPerTransfer {
            return "\(messages.count) messages in one transfer (at most \(maximumMessagesPerTransfer))"
        }
        for message in messages {
            if message.length > maximumMessageLength { return "message of \(message.length) bytes (at most \(maximumMessageLength))" }
            if message.direction == .write && message.flags.contains(.receiveLength) { return "receive-length flag on a write message" }
            if message.flags.contains(.receiveLength) && message.length < 1 + SMBusTransaction.maximumBlockLength {
                return "receive-length read needs room for 33 bytes"
            }
        }
        return nil
    }
}
