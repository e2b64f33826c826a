import PinionEmulator
import PinionI2C
import Testing

/// Chip models per their datasheets: power-on values, IDs, read-only registers, pointer semantics.
@Suite("Emulated chips")
struct EmulatedChipTests {
    let chips = EmulatedI2CChipSet(name: "i2c-1")
    var bus: EmulatedI2CBus { chips.bus }

    func word(_ address: I2CAddress, _ register: UInt8) throws -> UInt16 {
        try bus.readRegister16BigEndian(address: address, register: register)
    }

    @Test func identificationRegisters() throws {
        #expect(try word(0x41, 0xFE) == 0x5449)
        #expect(try word(0x41, 0xFF) == 0x2260)
        #expect(try word(0x44, 0x3E) == 0x5449)
        #expect(try word(0x44, 0x3F) == 0x2281)
        #expect(try word(0x42, 0xFE) == 0x5449)
        #expect(try word(0x42, 0xFF) == 0x3220)
    }

    @Test func powerOnValues() throws {
        #expect(try word(0x40, 0x00) == 0x399F)
        #expect(try word(0x41, 0x00) == 0x4127)
        #expect(try word(0x42, 0x00) == 0x7127)
        #expect(try word(0x42, 0x07) == 0x7FF8)
        #expect(try word(0x42, 0x0F) == 0x0002)
        #expect(try word(0x42, 0x10) == 0x2710)
        #expect(try word(0x42, 0x11) == 0x2328)
        #expect(try word(0x44, 0x01) == 0xFB68)
        #expect(try word(0x44, 0x02) == 0x1000)
        #expect(try word(0x44, 0x0B) == 0x0001)
        #expect(try word(0x48, 0x02) == 0x4B00)
        #expect(try word(0x48, 0x03) == 0x5000)
        #expect(try bus.readByteData(address: 0x48, register: 0x01) == 0x00)
        #expect(try word(0x49, 0x01) == 0x60A0)
        #expect(try word(0x49, 0x02) == 0x4B00)
        #expect(try word(0x49, 0x03) == 0x5000)
    }

    @Test func readOnlyRegistersIgnoreWrites() throws {
        try bus.writeRegister16BigEndian(address: 0x41, register: 0xFF, value: 0x1234)
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x02, value: 0x1234)
        try bus.writeRegister16BigEndian(address: 0x42, register: 0xFF, value: 0x1234)
        try bus.writeRegister16BigEndian(address: 0x48, register: 0x00, value: 0x7F00)
        #expect(try word(0x41, 0xFF) == 0x2260)
        #expect(try word(0x41, 0x02) == 0x0000)
        #expect(try word(0x42, 0xFF) == 0x3220)
        #expect(try word(0x48, 0x00) == 0x1900)
    }

    @Test func readOnlyBitsSurviveWritesToMixedRegisters() throws {
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x00, value: 0x0000)
        #expect(try word(0x41, 0x00) == 0x4000, "INA226 config bits 14:12 are fixed at 100")
        try bus.writeRegister16BigEndian(address: 0x49, register: 0x01, value: 0x0000)
        #expect(try word(0x49, 0x01) == 0x6020, "TMP102 R1/R0 and AL are read-only")
        try bus.writeRegister16BigEndian(address: 0x48, register: 0x02, value: 0x4BFF)
        #expect(try word(0x48, 0x02) == 0x4B80, "LM75 THYST keeps 9 bits")
    }

    @Test func resetBitRestoresPowerOnValues() throws {
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x05, value: 0x0A00)
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x00, value: 0x8000)
        #expect(try word(0x41, 0x05) == 0x0000)
        #expect(try word(0x41, 0x00) == 0x4127)
        try bus.writeRegister16BigEndian(address: 0x40, register: 0x00, value: 0x0000)
        try bus.writeRegister16BigEndian(address: 0x40, register: 0x00, value: 0x8000)
        #expect(try word(0x40, 0x00) == 0x399F)
    }

    @Test func ina219ComputesCurrentAndPowerFromCalibration() throws {
        chips.ina219.setShuntVoltage(volts: 0.01)
        chips.ina219.setBusVoltage(volts: 12.0)
        #expect(try word(0x40, 0x01) == 1000)
        #expect(try word(0x40, 0x02) == 3000 << 3 | 0x0002)
        #expect(try word(0x40, 0x04) == 0, "no calibration, no current")
        try bus.writeRegister16BigEndian(address: 0x40, register: 0x05, value: 4096)
        #expect(try word(0x40, 0x04) == 1000)
        #expect(try word(0x40, 0x03) == 600)
        #expect(try word(0x40, 0x02) & 0x0002 == 0, "reading power clears CNVR")
    }

    @Test func ina226ComputesCurrentAndPowerAndClearsCVRFOnRead() throws {
        chips.ina226.setShuntVoltage(raw: -2000)
        chips.ina226.setBusVoltage(volts: 5.0)
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x05, value: 2048)
        #expect(try word(0x41, 0x04) == UInt16(bitPattern: -2000))
        #expect(try word(0x41, 0x03) == 400, "|current| × bus / 20000 = 2000 × 4000 / 20000")
        #expect(try word(0x41, 0x06) & 0x0008 != 0)
        #expect(try word(0x41, 0x06) & 0x0008 == 0)
    }

    @Test func ina228WideRegistersReadMSBFirst() throws {
        chips.ina228.setShuntVoltage(raw: -1)
        chips.ina228.setEnergy(raw: 0x01_2345_6789)
        #expect(try bus.readRegisterBytes(address: 0x44, register: 0x04, count: 3) == [0xFF, 0xFF, 0xF0])
        #expect(try bus.readRegisterBigEndian(address: 0x44, register: 0x09, byteCount: 5) == 0x01_2345_6789)
        try bus.writeRegister16BigEndian(address: 0x44, register: 0x00, value: 0x4000)
        #expect(chips.ina228.peek(0x09) == 0, "RSTACC clears energy")
        #expect(try word(0x44, 0x00) == 0x0000, "RSTACC reads back as 0")
    }

    @Test func ina3221ChannelsAndShuntSum() throws {
        chips.ina3221.setShuntVoltage(channel: 1, raw: 100)
        chips.ina3221.setShuntVoltage(channel: 3, raw: -20)
        chips.ina3221.setBusVoltage(channel: 2, volts: 3.3)
        #expect(try word(0x42, 0x01) == 100 << 3)
        #expect(try word(0x42, 0x05) == UInt16(bitPattern: -20 << 3))
        #expect(try word(0x42, 0x04) == 412 << 3)
        try bus.writeRegister16BigEndian(address: 0x42, register: 0x0F, value: 0x5000)
        #expect(try word(0x42, 0x0D) == 80 << 1)
    }

    @Test func lm75PointerThenReadsAndOneByteConfig() throws {
        chips.lm75.setTemperature(celsius: -10.5)
        try bus.writeByte(address: 0x48, 0x00)
        #expect(try bus.readByte(address: 0x48) == 0xF5, "receive byte reads the pointed register's MSB")
        #expect(try bus.transfer([.read(0x48, count: 2)]) == [[0xF5, 0x80]])
        try bus.writeByteData(address: 0x48, register: 0x01, value: 0x02)
        #expect(try bus.readByteData(address: 0x48, register: 0x05) == 0x02, "pointer bits above 1:0 are ignored")
        #expect(chips.lm75.temperature == -10.5)
    }

    @Test func tmp102NormalAndExtendedFormats() throws {
        chips.tmp102.setTemperature(celsius: 25.0625)
        #expect(try word(0x49, 0x00) == 0x1910)
        chips.tmp102.setTemperature(celsius: 140)
        #expect(try word(0x49, 0x00) == 0x7FF0, "normal mode clamps at 127.9375 °C")
        try bus.writeRegister16BigEndian(address: 0x49, register: 0x01, value: 0x60B0)
        #expect(try word(0x49, 0x00) == UInt16(140 * 16) << 3 | 1)
    }

    @Test func eepromPagesRollOverAndReadsAreSequential() throws {
        try bus.writeI2CBlockData(address: 0x50, register: 0x06, bytes: [1, 2, 3, 4])
        #expect(Array(chips.eeprom.contents[0...7]) == [3, 4, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2])
        #expect(try bus.readI2CBlockData(address: 0x50, register: 0x06, count: 4) == [1, 2, 0xFF, 0xFF])
        #expect(try bus.readByte(address: 0x50) == 0xFF)
        chips.eeprom.load([0xAB], at: 0xFF)
        try bus.writeByte(address: 0x50, 0xFF)
        #expect(try bus.transfer([.read(0x50, count: 2)]) == [[0xAB, 0x03]], "current-address reads wrap at 256")
    }
}
