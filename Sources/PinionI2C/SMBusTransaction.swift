/// One SMBus transaction, as the kernel's I2C_SMBUS ioctl takes it (`i2c_smbus_xfer`).
///
/// Values are host-order numbers: `writeWordData(value: 0x1234)` puts 0x34 then 0x12 on the wire
/// (SMBus words are little-endian). Block transactions carry at most 32 bytes.
public enum SMBusTransaction: Hashable, Sendable, CustomStringConvertible {
    /// Address and R/W bit only, no data. I2C_SMBUS_QUICK.
    case quick(I2CDirection)
    /// One byte read without a register. I2C_SMBUS_BYTE, read.
    case receiveByte
    /// One byte written without a register. I2C_SMBUS_BYTE, write.
    case sendByte(UInt8)
    /// Register, then one byte read. I2C_SMBUS_BYTE_DATA, read.
    case readByteData(register: UInt8)
    /// Register and one byte written. I2C_SMBUS_BYTE_DATA, write.
    case writeByteData(register: UInt8, value: UInt8)
    /// Register, then two bytes read, low byte first. I2C_SMBUS_WORD_DATA, read.
    case readWordData(register: UInt8)
    /// Register and two bytes written, low byte first. I2C_SMBUS_WORD_DATA, write.
    case writeWordData(register: UInt8, value: UInt16)
    /// Register and a word written, then a word read. I2C_SMBUS_PROC_CALL.
    case processCall(register: UInt8, value: UInt16)
    /// Register, then a count byte and that many bytes read. I2C_SMBUS_BLOCK_DATA, read.
    case readBlockData(register: UInt8)
    /// Register, count byte and bytes written. I2C_SMBUS_BLOCK_DATA, write.
    case writeBlockData(register: UInt8, bytes: [UInt8])
    /// Register, then `length` bytes read with no count byte. I2C_SMBUS_I2C_BLOCK_DATA, read.
    case readI2CBlockData(register: UInt8, length: Int)
    /// Register and bytes written with no count byte. I2C_SMBUS_I2C_BLOCK_DATA, write.
    case writeI2CBlockData(register: UInt8, bytes: [UInt8])

    /// I2C_SMBUS_BLOCK_MAX.
    public static let maximumBlockLength = 32

    /// The register (SMBus "command") the transaction addresses, if any.
    public var register: UInt8? {
        switch self {
        case .quick, .receiveByte, .sendByte: nil
        case .readByteData(let r), .writeByteData(let r, _), .readWordData(let r), .writeWordData(let r, _),
             .processCall(let r, _), .readBlockData(let r), .writeBlockData(let r, _),
             .readI2CBlockData(let r, _), .writeI2CBlockData(let r, _): r
        }
    }

    /// The R/W bit the kernel's I2C_SMBUS ioctl takes for this transaction.
    public var direction: I2CDirection {
        switch self {
        case .quick(let direction): direction
        case .receiveByte, .readByteData, .readWordData, .processCall, .readBlockData, .readI2CBlockData: .read
        case .sendByte, .writeByteData, .writeWordData, .writeBlockData, .writeI2CBlockData: .write
        }
    }

    /// True when the transaction reads data from the target.
    public var reads: Bool {
        switch self {
        case .quick, .sendByte, .writeByteData, .writeWordData, .writeBlockData, .writeI2CBlockData: false
        default: true
        }
    }

    /// The adapter capability the transaction needs.
    public var requiredFunctionality: I2CFunctionality {
        switch self {
        case .quick: .smbusQuick
        case .receiveByte: .smbusReadByte
        case .sendByte: .smbusWriteByte
        case .readByteData: .smbusReadByteData
        case .writeByteData: .smbusWriteByteData
        case .readWordData: .smbusReadWordData
        case .writeWordData: .smbusWriteWordData
        case .processCall: .smbusProcessCall
        case .readBlockData: .smbusReadBlockData
        case .writeBlockData: .smbusWriteBlockData
        case .readI2CBlockData: .smbusReadI2CBlock
        case .writeI2CBlockData: .smbusWriteI2CBlock
        }
    }

    /// The kernel's name for the transaction size (I2C_SMBUS_*), for traces.
    public var name: String {
        switch self {
        case .quick(let direction): "quick \(direction)"
        case .receiveByte: "receive byte"
        case .sendByte: "send byte"
        case .readByteData: "read byte data"
        case .writeByteData: "write byte data"
        case .readWordData: "read word data"
        case .writeWordData: "write word data"
        case .processCall: "process call"
        case .readBlockData: "read block data"
        case .writeBlockData: "write block data"
        case .readI2CBlockData: "read I2C block data"
        case .writeI2CBlockData: "write I2C block data"
        }
    }

    public var description: String {
        switch self {
        case .quick, .receiveByte, .readByteData, .readWordData, .readBlockData: name
        case .sendByte(let value): "\(name) 0x\(hex2(value))"
        case .writeByteData(_, let value): "\(name) 0x\(hex2(value))"
        case .writeWordData(_, let value), .processCall(_, let value): "\(name) 0x\(String(value, radix: 16))"
        case .writeBlockData(_, let bytes), .writeI2CBlockData(_, let bytes): "\(name) [\(hexBytes(bytes))]"
        case .readI2CBlockData(_, let length): "\(name) \(length)"
        }
    }

    /// Why the kernel would reject the transaction with EINVAL (a block longer than 32 bytes or
    /// empty), or nil when it is well formed. Every backend checks this before the bus.
    public func validationFailure() -> String? {
        switch self {
        case .writeBlockData(_, let bytes), .writeI2CBlockData(_, let bytes):
            if bytes.isEmpty || bytes.count > Self.maximumBlockLength {
                return "block of \(bytes.count) bytes (SMBus blocks hold 1–32)"
            }
        case .readI2CBlockData(_, let length):
            if length < 1 || length > Self.maximumBlockLength {
                return "I2C block read of \(length) bytes (1–32 allowed)"
            }
        default: break
        }
        return nil
    }
}

/// What an SMBus transaction returned.
public enum SMBusResult: Hashable, Sendable, CustomStringConvertible {
    /// Write-only transactions and quick commands.
    case none
    case byte(UInt8)
    /// A word in host order (already assembled from the little-endian wire bytes).
    case word(UInt16)
    /// Block data without the count byte.
    case block([UInt8])

    public var description: String {
        switch self {
        case .none: "ok"
        case .byte(let value): "0x\(hex2(value))"
        case .word(let value): "0x\(String(value, radix: 16))"
        case .block(let bytes): "[\(hexBytes(bytes))]"
        }
    }
}
