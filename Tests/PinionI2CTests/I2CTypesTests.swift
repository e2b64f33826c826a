import PinionI2C
import Testing

@Suite("I2C value types")
struct I2CTypesTests {
    @Test func addressesAreSevenBitAndPrintLikeI2cTools() throws {
        #expect(I2CAddress(rawValue: 0x7F) != nil)
        #expect(I2CAddress(rawValue: 0x80) == nil)
        #expect(I2CAddress(exactly: 300) == nil)
        #expect(I2CAddress(exactly: -1) == nil)
        let address = try #require(I2CAddress(exactly: 0x48))
        #expect(address.description == "0x48")
        #expect(I2CAddress(integerLiteral: 0x05).description == "0x05")
        #expect(I2CAddress(parsing: "0x4a") == 0x4A)
        #expect(I2CAddress(parsing: "4A") == 0x4A)
        #expect(I2CAddress(parsing: "0x80") == nil)
        #expect(I2CAddress(parsing: "zz") == nil)
        #expect(I2CAddress.all.count == 128)
        #expect(I2CAddress.defaultScanRange == 0x08...0x77)
    }

    @Test func functionalityBitsMatchTheKernelHeader() {
        #expect(I2CFunctionality.i2c.rawValue == 0x0000_0001)
        #expect(I2CFunctionality.smbusQuick.rawValue == 0x0001_0000)
        #expect(I2CFunctionality.smbusReadByte.rawValue == 0x0002_0000)
        #expect(I2CFunctionality.smbusReadI2CBlock.rawValue == 0x0400_0000)
        #expect(I2CFunctionality.smbusEmulated.rawValue == 0x0EFF_0008)
        #expect(I2CFunctionality.smbusEmulatedAll.rawValue == 0x0FFF_8008)
        #expect(I2CFunctionality([.i2c, .smbusQuick]).description == "I2C, SMBus Quick Command")
        #expect(I2CFunctionality().description == "none")
    }

    @Test func messagesCarryTheKernelFlags() {
        #expect(I2CMessage.write(0x48, [0x00]).kernelFlags == 0x0000)
        #expect(I2CMessage.read(0x48, count: 2).kernelFlags == 0x0001)
        let block = I2CMessage.readBlock(0x0B)
        #expect(block.kernelFlags == 0x0401)
        #expect(block.length == 33)
        #expect(I2CMessage.write(0x48, [0x01, 0x60]).description == "0x48 W [01 60]")
    }

    @Test func transactionsKnowTheirRegisterDirectionAndNeeds() {
        #expect(SMBusTransaction.readWordData(register: 5).register == 5)
        #expect(SMBusTransaction.sendByte(5).register == nil)
        #expect(SMBusTransaction.quick(.write).direction == .write)
        #expect(SMBusTransaction.processCall(register: 1, value: 2).direction == .read)
        #expect(SMBusTransaction.receiveByte.requiredFunctionality == .smbusReadByte)
        #expect(SMBusTransaction.writeBlockData(register: 0, bytes: Array(repeating: 0, count: 33)).validationFailure() != nil)
        #expect(SMBusTransaction.writeBlockData(register: 0, bytes: []).validationFailure() != nil)
        #expect(SMBusTransaction.readI2CBlockData(register: 0, length: 32).validationFailure() == nil)
        #expect(SMBusTransaction.readI2CBlockData(register: 0, length: 33).validationFailure() != nil)
    }

    @Test func transferLimitsFollowI2cDev() {
        #expect(I2CLimits.validate([]) != nil)
        #expect(I2CLimits.validate(Array(repeating: .write(0x48, [0]), count: 42)) == nil)
        #expect(I2CLimits.validate(Array(repeating: .write(0x48, [0]), count: 43)) != nil)
        #expect(I2CLimits.validate([.read(0x48, count: 8193)]) != nil)
    }
}
