import PinionI2C

/// A message as the emulated bus drives it onto the wire.
struct WireMessage {
    enum Kind {
        case write([UInt8])
        case read(Int)
        /// A read whose first byte is the count of bytes that follow (I2C_M_RECV_LEN).
        case readBlock
    }

    var address: I2CAddress
    var kind: Kind

    /// How the kernel's `i2c_smbus_xfer_emulated` turns an SMBus transaction into I2C messages.
    static func messages(for transaction: SMBusTransaction, address: I2CAddress) -> [WireMessage] {
        func write(_ bytes: [UInt8]) -> WireMessage { WireMessage(address: address, kind: .write(bytes)) }
        func read(_ count: Int) -> WireMessage { WireMessage(address: address, kind: .read(count)) }
        switch transaction {
        case .quick(.write): return [write([])]
        case .quick(.read): return [read(0)]
        case .receiveByte: return [read(1)]
        case .sendByte(let value): return [write([value])]
        case .readByteData(let register): return [write([register]), read(1)]
        case .writeByteData(let register, let value): return [write([register, value])]
        case .readWordData(let register): return [write([register]), read(2)]
        case .writeWordData(let register, let value): return [write([register, UInt8(value & 0xFF), UInt8(value >> 8)])]
        case .processCall(let register, let value):
            return [write([register, UInt8(value & 0xFF), UInt8(value >> 8)]), read(2)]
        case .readBlockData(let register): return [write([register]), WireMessage(address: address, kind: .readBlock)]
        case .writeBlockData(let register, let bytes): return [write([register, UInt8(bytes.count)] + bytes)]
        case .readI2CBlockData(let register, let length): return [write([register]), read(length)]
        case .writeI2CBlockData(let register, let bytes): return [write([register] + bytes)]
        }
    }

    /// The wire form of an I2C_RDWR message.
    init(_ message: I2CMessage) {
        address = message.address
        switch message.direction {
        case .write: kind = .write(message.bytes)
        case .read: kind = message.flags.contains(.receiveLength) ? .readBlock : .read(message.length)
        }
    }

    init(address: I2CAddress, kind: Kind) {
        self.address = address
        self.kind = kind
    }
}
