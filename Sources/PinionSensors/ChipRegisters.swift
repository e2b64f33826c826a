import PinionI2C

/// The register access every driver uses: one chip at one address on a borrowed bus, with the
/// byte order these chips use, and every failure turned into a `SensorError` that names the
/// chip, the bus, the address and the operation.
///
/// Only SMBus transactions are used, so the same code runs on i2c-stub: 16-bit registers are SMBus
/// word transfers swapped to the chips' high-byte-first order (`i2c_smbus_read_word_swapped` in
/// the kernel), 8-bit registers are byte-data transfers, and wider registers (INA228) are SMBus
/// I2C block reads (I2C_SMBUS_I2C_BLOCK_DATA), which the kernel emulates on plain-I2C adapters
/// and i2c-stub implements.
struct ChipRegisters: Sendable {
    let bus: any I2CBus
    let address: I2CAddress
    let chip: SensorType

    func error(_ reason: SensorError.Reason, _ operation: String) -> SensorError {
        SensorError(reason, chip: chip, bus: bus.name, address: address, operation: operation)
    }

    /// A 16-bit register, high byte first on the wire.
    func read16(_ register: UInt8, _ operation: String) throws(SensorError) -> UInt16 {
        do throws(I2CError) {
            return try bus.readRegister16BigEndian(address: address, register: register)
        } catch {
            throw self.error(.bus(error), operation)
        }
    }

    /// Writes a 16-bit register, high byte first on the wire.
    func write16(_ register: UInt8, _ value: UInt16, _ operation: String) throws(SensorError) {
        do throws(I2CError) {
            try bus.writeRegister16BigEndian(address: address, register: register, value: value)
        } catch {
            throw self.error(.bus(error), operation)
        }
    }

    /// An 8-bit register (LM75 configuration).
    func read8(_ register: UInt8, _ operation: String) throws(SensorError) -> UInt8 {
        do throws(I2CError) {
            return try bus.readByteData(address: address, register: register)
        } catch {
            throw self.error(.bus(error), operation)
        }
    }

    func write8(_ register: UInt8, _ value: UInt8, _ operation: String) throws(SensorError) {
        do throws(I2CError) {
            try bus.writeByteData(address: address, register: register, value: value)
        } catch {
            throw self.error(.bus(error), operation)
        }
    }

    /// A register of `count` bytes (3 or 5 on the INA228), most significant byte first, read with
    /// one SMBus I2C block read. Throws `.adapterLacks` when the adapter has no I2C block read.
    func readWide(_ register: UInt8, bytes count: Int, _ operation: String) throws(SensorError) -> UInt64 {
        let functionality: I2CFunctionality
        do throws(I2CError) {
            functionality = try bus.functionality()
        } catch {
            throw self.error(.bus(error), operation)
        }
        guard functionality.contains(.smbusReadI2CBlock) else {
            throw self.error(.adapterLacks(.smbusReadI2CBlock, adapterHas: functionality), operation)
        }
        let bytes: [UInt8]
        do throws(I2CError) {
            bytes = try bus.readI2CBlockData(address: address, register: register, count: count)
        } catch {
            throw self.error(.bus(error), operation)
        }
        guard bytes.count == count else {
            // The kernel's ina238 driver answers -EIO to a short block read; so does Pinion.
            let detail = "I2C block read of reg 0x\(String(register, radix: 16)) returned \(bytes.count) bytes, expected \(count)"
            throw self.error(.bus(I2CError(.io, operation: .smbus("read I2C block data"), bus: bus.name, address: address,
                                           register: register, detail: detail)), operation)
        }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
