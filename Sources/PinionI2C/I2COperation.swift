/// One transaction as it passes a bus's chokepoint: what taps see.
public enum I2COperation: Hashable, Sendable, CustomStringConvertible {
    /// An SMBus transaction to one address.
    case smbus(SMBusTransaction, address: I2CAddress)
    /// A combined I2C transfer (I2C_RDWR).
    case transfer([I2CMessage])

    /// True when data comes back from a target (any read message, any reading SMBus transaction).
    public var reads: Bool {
        switch self {
        case .smbus(let transaction, _): transaction.reads
        case .transfer(let messages): messages.contains { $0.direction == .read }
        }
    }

    /// The first address the operation talks to.
    public var address: I2CAddress? {
        switch self {
        case .smbus(_, let address): address
        case .transfer(let messages): messages.first?.address
        }
    }

    /// The register addressed, when it is an SMBus transaction with one.
    public var register: UInt8? {
        if case .smbus(let transaction, _) = self { return transaction.register }
        return nil
    }

    /// How `I2CError.operation` names it.
    public var errorOperation: I2CError.Operation {
        switch self {
        case .smbus(let transaction, _): .smbus(transaction.name)
        case .transfer(let messages): .transfer(messages: messages.count)
        }
    }

    public var description: String {
        switch self {
        case .smbus(let transaction, let address):
            "\(address)\(transaction.register.map { " reg 0x\(hex2($0))" } ?? "") \(transaction)"
        case .transfer(let messages):
            "transfer " + messages.map(\.description).joined(separator: ", ")
        }
    }
}

/// What an operation returned.
public enum I2COperationResult: Hashable, Sendable, CustomStringConvertible {
    case smbus(SMBusResult)
    /// One array per message: bytes read, empty for writes.
    case transfer([[UInt8]])

    public var description: String {
        switch self {
        case .smbus(let result): result.description
        case .transfer(let results): results.map { "[\(hexBytes($0))]" }.joined(separator: " ")
        }
    }
}
