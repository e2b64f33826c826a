/// The R/W bit of an address byte. Raw values are the kernel's I2C_SMBUS_READ (1) and I2C_SMBUS_WRITE (0).
public enum I2CDirection: UInt8, Hashable, Sendable, Codable, CustomStringConvertible {
    case write = 0
    case read = 1

    public var description: String { self == .read ? "read" : "write" }
}
