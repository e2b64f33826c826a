/// The operations drivers use, built on `smbus(_:address:)` and `transfer(_:)`.
///
/// SMBus word helpers (`readWordData`, `writeWordData`) take and return host-order values and
/// put the low byte first on the wire, as SMBus specifies. Most sensor chips (INA2xx, LM75,
/// TMP102) send the high byte first: use `readRegister16BigEndian` / `writeRegister16BigEndian`,
/// which swap.
extension I2CBus {
    /// SMBus quick write: only the address with R/W = write. What i2cdetect probes with.
    public func quickWrite(address: I2CAddress) throws(I2CError) {
        _ = try smbus(.quick(.write), address: address)
    }

    /// SMBus receive byte: one byte read with no register.
    public func readByte(address: I2CAddress) throws(I2CError) -> UInt8 {
        try byte(from: smbus(.receiveByte, address: address), .receiveByte, address)
    }

    /// SMBus send byte: one byte written with no register (often: set a pointer register).
    public func writeByte(address: I2CAddress, _ value: UInt8) throws(I2CError) {
        _ = try smbus(.sendByte(value), address: address)
    }

    /// SMBus read byte data: the byte in `register`.
    public func readByteData(address: I2CAddress, register: UInt8) throws(I2CError) -> UInt8 {
        let transaction = SMBusTransaction.readByteData(register: register)
        return try byte(from: smbus(transaction, address: address), transaction, address)
    }

    /// SMBus write byte data.
    public func writeByteData(address: I2CAddress, register: UInt8, value: UInt8) throws(I2CError) {
        _ = try smbus(.writeByteData(register: register, value: value), address: address)
    }

    /// SMBus read word data: low byte first on the wire.
    public func readWordData(address: I2CAddress, register: UInt8) throws(I2CError) -> UInt16 {
        let transaction = SMBusTransaction.readWordData(register: register)
        return try word(from: smbus(transaction, address: address), transaction, address)
    }

    /// SMBus write word data: low byte first on the wire.
    public func writeWordData(address: I2CAddress, register: UInt8, value: UInt16) throws(I2CError) {
        _ = try smbus(.writeWordData(register: register, value: value), address: address)
    }

    /// A 16-bit register sent high byte first (INA2xx, LM75, TMP102), read with SMBus read word data and swapped.
    public func readRegister16BigEndian(address: I2CAddress, register: UInt8) throws(I2CError) -> UInt16 {
        try readWordData(address: address, register: register).byteSwapped
    }

    /// A 16-bit register taken high byte first, written with SMBus write word data of the swapped value.
    public func writeRegister16BigEndian(address: I2CAddress, register: UInt8, value: UInt16) throws(I2CError) {
        try writeWordData(address: address, register: register, value: value.byteSwapped)
    }

    /// SMBus process call: write a word, read a word back (both low byte first).
    public func processCall(address: I2CAddress, register: UInt8, value: UInt16) throws(I2CError) -> UInt16 {
        let transaction = SMBusTransaction.processCall(register: register, value: value)
        return try word(from: smbus(transaction, address: address), transaction, address)
    }

    /// SMBus block read: the target sends a count (1–32) then the bytes; returns the bytes.
    public func readBlockData(address: I2CAddress, register: UInt8) throws(I2CError) -> [UInt8] {
        let transaction = SMBusTransaction.readBlockData(register: register)
        return try block(from: smbus(transaction, address: address), transaction, address)
    }

    /// SMBus block write of 1–32 bytes (the count byte is sent first).
    public func writeBlockData(address: I2CAddress, register: UInt8, bytes: [UInt8]) throws(I2CError) {
        _ = try smbus(.writeBlockData(register: register, bytes: bytes), address: address)
    }

    /// I2C block read: `count` (1–32) bytes from `register` on, no count byte.
    public func readI2CBlockData(address: I2CAddress, register: UInt8, count: Int) throws(I2CError) -> [UInt8] {
        let transaction = SMBusTransaction.readI2CBlockData(register: register, length: count)
        return try block(from: smbus(transaction, address: address), transaction, address)
    }

    /// I2C block write: `register` then 1–32 bytes, no count byte.
    public func writeI2CBlockData(address: I2CAddress, register: UInt8, bytes: [UInt8]) throws(I2CError) {
        _ = try smbus(.writeI2CBlockData(register: register, bytes: bytes), address: address)
    }

    /// The `count` bytes of a wide register in wire order (INA228's 24- and 40-bit registers):
    /// a write of the register then a read, as one I2C transfer when the adapter does plain I2C,
    /// otherwise as an SMBus I2C block read (i2c-stub and other SMBus-only adapters).
    public func readRegisterBytes(address: I2CAddress, register: UInt8, count: Int) throws(I2CError) -> [UInt8] {
        if try functionality().contains(.i2c) {
            let results = try transfer([.write(address, [register]), .read(address, count: count)])
            return results[1]
        }
        return try readI2CBlockData(address: address, register: register, count: count)
    }

    /// A big-endian register of up to 8 bytes as an unsigned number.
    public func readRegisterBigEndian(address: I2CAddress, register: UInt8, byteCount: Int) throws(I2CError) -> UInt64 {
        precondition((1...8).contains(byteCount), "registers of 1 to 8 bytes")
        return try readRegisterBytes(address: address, register: register, count: byteCount)
            .reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func byte(from result: SMBusResult, _ transaction: SMBusTransaction, _ address: I2CAddress) throws(I2CError) -> UInt8 {
        guard case .byte(let value) = result else { throw mismatch(result, transaction, address) }
        return value
    }

    private func word(from result: SMBusResult, _ transaction: SMBusTransaction, _ address: I2CAddress) throws(I2CError) -> UInt16 {
        guard case .word(let value) = result else { throw mismatch(result, transaction, address) }
        return value
    }

    private func block(from result: SMBusResult, _ transaction: SMBusTransaction, _ address: I2CAddress) throws(I2CError) -> [UInt8] {
        guard case .block(let bytes) = result else { throw mismatch(result, transaction, address) }
        return bytes
    }

    private func mismatch(_ result: SMBusResult, _ transaction: SMBusTransaction, _ address: I2CAddress) -> I2CError {
        I2CError(.protocolError, operation: .smbus(transaction.name), bus: name, address: address,
                 register: transaction.register, detail: "backend returned \(result)")
    }
}
