/// What an adapter can do, as the kernel reports it through the I2C_FUNCS ioctl.
///
/// Names first; each doc comment gives the kernel's spelling from `<linux/i2c.h>`.
public struct I2CFunctionality: OptionSet, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Plain I2C transfers (the I2C_RDWR ioctl). I2C_FUNC_I2C.
    public static let i2c = I2CFunctionality(rawValue: 0x0000_0001)
    /// 10-bit target addresses. I2C_FUNC_10BIT_ADDR.
    public static let tenBitAddress = I2CFunctionality(rawValue: 0x0000_0002)
    /// I2C_M_IGNORE_NAK and the other message-mangling flags. I2C_FUNC_PROTOCOL_MANGLING.
    public static let protocolMangling = I2CFunctionality(rawValue: 0x0000_0004)
    /// SMBus packet error checking. I2C_FUNC_SMBUS_PEC.
    public static let smbusPEC = I2CFunctionality(rawValue: 0x0000_0008)
    /// I2C_M_NOSTART (skip the repeated start). I2C_FUNC_NOSTART.
    public static let noStart = I2CFunctionality(rawValue: 0x0000_0010)
    /// The adapter can act as a target. I2C_FUNC_SLAVE.
    public static let target = I2CFunctionality(rawValue: 0x0000_0020)
    /// SMBus block process call. I2C_FUNC_SMBUS_BLOCK_PROC_CALL.
    public static let smbusBlockProcessCall = I2CFunctionality(rawValue: 0x0000_8000)
    /// SMBus quick command. I2C_FUNC_SMBUS_QUICK.
    public static let smbusQuick = I2CFunctionality(rawValue: 0x0001_0000)
    /// SMBus receive byte. I2C_FUNC_SMBUS_READ_BYTE.
    public static let smbusReadByte = I2CFunctionality(rawValue: 0x0002_0000)
    /// SMBus send byte. I2C_FUNC_SMBUS_WRITE_BYTE.
    public static let smbusWriteByte = I2CFunctionality(rawValue: 0x0004_0000)
    /// SMBus read byte data. I2C_FUNC_SMBUS_READ_BYTE_DATA.
    public static let smbusReadByteData = I2CFunctionality(rawValue: 0x0008_0000)
    /// SMBus write byte data. I2C_FUNC_SMBUS_WRITE_BYTE_DATA.
    public static let smbusWriteByteData = I2CFunctionality(rawValue: 0x0010_0000)
    /// SMBus read word data. I2C_FUNC_SMBUS_READ_WORD_DATA.
    public static let smbusReadWordData = I2CFunctionality(rawValue: 0x0020_0000)
    /// SMBus write word data. I2C_FUNC_SMBUS_WRITE_WORD_DATA.
    public static let smbusWriteWordData = I2CFunctionality(rawValue: 0x0040_0000)
    /// SMBus process call. I2C_FUNC_SMBUS_PROC_CALL.
    public static let smbusProcessCall = I2CFunctionality(rawValue: 0x0080_0000)
    /// SMBus block read (length sent by the target). I2C_FUNC_SMBUS_READ_BLOCK_DATA.
    public static let smbusReadBlockData = I2CFunctionality(rawValue: 0x0100_0000)
    /// SMBus block write. I2C_FUNC_SMBUS_WRITE_BLOCK_DATA.
    public static let smbusWriteBlockData = I2CFunctionality(rawValue: 0x0200_0000)
    /// I2C block read with a 1-byte register (length chosen by the host). I2C_FUNC_SMBUS_READ_I2C_BLOCK.
    public static let smbusReadI2CBlock = I2CFunctionality(rawValue: 0x0400_0000)
    /// I2C block write with a 1-byte register. I2C_FUNC_SMBUS_WRITE_I2C_BLOCK.
    public static let smbusWriteI2CBlock = I2CFunctionality(rawValue: 0x0800_0000)
    /// SMBus host notify. I2C_FUNC_SMBUS_HOST_NOTIFY.
    public static let smbusHostNotify = I2CFunctionality(rawValue: 0x1000_0000)

    /// Send and receive byte. I2C_FUNC_SMBUS_BYTE.
    public static let smbusByte: I2CFunctionality = [.smbusReadByte, .smbusWriteByte]
    /// Read and write byte data. I2C_FUNC_SMBUS_BYTE_DATA.
    public static let smbusByteData: I2CFunctionality = [.smbusReadByteData, .smbusWriteByteData]
    /// Read and write word data. I2C_FUNC_SMBUS_WORD_DATA.
    public static let smbusWordData: I2CFunctionality = [.smbusReadWordData, .smbusWriteWordData]
    /// Read and write block data. I2C_FUNC_SMBUS_BLOCK_DATA.
    public static let smbusBlockData: I2CFunctionality = [.smbusReadBlockData, .smbusWriteBlockData]
    /// Read and write I2C block. I2C_FUNC_SMBUS_I2C_BLOCK.
    public static let smbusI2CBlock: I2CFunctionality = [.smbusReadI2CBlock, .smbusWriteI2CBlock]
    /// What the kernel emulates over plain I2C for any I2C-capable adapter. I2C_FUNC_SMBUS_EMUL.
    public static let smbusEmulated: I2CFunctionality = [
        .smbusQuick, .smbusByte, .smbusByteData, .smbusWordData, .smbusProcessCall,
        .smbusWriteBlockData, .smbusI2CBlock, .smbusPEC,
    ]
    /// `smbusEmulated` plus what needs I2C_M_RECV_LEN. I2C_FUNC_SMBUS_EMUL_ALL.
    public static let smbusEmulatedAll: I2CFunctionality = smbusEmulated.union([.smbusReadBlockData, .smbusBlockProcessCall])
    /// What the kernel's i2c-stub test adapter reports with its default module parameters:
    /// SMBus only, no plain I2C transfers.
    public static let i2cStub: I2CFunctionality = [.smbusQuick, .smbusByte, .smbusByteData, .smbusWordData, .smbusBlockData, .smbusI2CBlock]

    /// i2cdetect -F's names, in its order.
    public static let names: [(I2CFunctionality, String)] = [
        (.i2c, "I2C"),
        (.smbusQuick, "SMBus Quick Command"),
        (.smbusWriteByte, "SMBus Send Byte"),
        (.smbusReadByte, "SMBus Receive Byte"),
        (.smbusWriteByteData, "SMBus Write Byte"),
        (.smbusReadByteData, "SMBus Read Byte"),
        (.smbusWriteWordData, "SMBus Write Word"),
        (.smbusReadWordData, "SMBus Read Word"),
        (.smbusProcessCall, "SMBus Process Call"),
        (.smbusWriteBlockData, "SMBus Block Write"),
        (.smbusReadBlockData, "SMBus Block Read"),
        (.smbusBlockProcessCall, "SMBus Block Process Call"),
        (.smbusPEC, "SMBus PEC"),
        (.smbusWriteI2CBlock, "I2C Block Write"),
        (.smbusReadI2CBlock, "I2C Block Read"),
        (.smbusHostNotify, "SMBus Host Notify"),
        (.tenBitAddress, "10-bit addressing"),
        (.target, "Target mode"),
        (.protocolMangling, "Protocol mangling"),
        (.noStart, "Repeated start skipping"),
    ]

    /// The names of the capabilities present, comma-separated.
    public var description: String {
        let present = Self.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }
}
