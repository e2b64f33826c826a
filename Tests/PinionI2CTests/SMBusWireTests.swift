import PinionEmulator
import PinionI2C
import Testing

/// Transaction tables: what each SMBus operation puts on the wire, and how words are ordered.
@Suite("SMBus and I2C transfers on the wire")
struct SMBusWireTests {
    @Test func wordDataIsLittleEndianAndRegisterHelpersSwap() throws {
        let chips = EmulatedI2CChipSet()
        let bus = chips.bus
        chips.lm75.setTemperature(celsius: 25)

        #expect(try bus.readWordData(address: 0x48, register: 0x00) == 0x0019)
        #expect(try bus.readRegister16BigEndian(address: 0x48, register: 0x00) == 0x1900)
        try bus.writeWordData(address: 0x41, register: 0x05, value: 0x1234)
        try bus.writeRegister16BigEndian(address: 0x41, register: 0x07, value: 0x1234)

        #expect(bus.log == [
            EmulatedI2CTransaction(0x48, .write([0x00]), .read([0x19, 0x00])),
            EmulatedI2CTransaction(0x48, .write([0x00]), .read([0x19, 0x00])),
            EmulatedI2CTransaction(0x41, .write([0x05, 0x34, 0x12])),
            EmulatedI2CTransaction(0x41, .write([0x07, 0x12, 0x34])),
        ])
        #expect(chips.ina226.peek(0x05) == 0x3412)
        #expect(chips.ina226.peek(0x07) == 0x1234)
    }

    @Test func eachSMBusTransactionHasItsWireForm() throws {
        let bus = EmulatedI2CBus(name: "i2c-9")
        let device = ScriptedDevice(replies: [0xAA, 0x01, 0x02, 0x03, 0x04, 0x03, 0x03, 0x10, 0x20, 0x30, 0x05, 0x06])
        bus.attach(device, at: 0x20)

        try bus.quickWrite(address: 0x20)
        #expect(try bus.readByte(address: 0x20) == 0xAA)
        try bus.writeByte(address: 0x20, 0x7E)
        #expect(try bus.readByteData(address: 0x20, register: 0x11) == 0x01)
        try bus.writeByteData(address: 0x20, register: 0x12, value: 0x99)
        #expect(try bus.processCall(address: 0x20, register: 0x13, value: 0xBEEF) == 0x0302)
        #expect(try bus.readRegister16BigEndian(address: 0x20, register: 0x14) == 0x0403)
        #expect(try bus.readBlockData(address: 0x20, register: 0x15) == [0x10, 0x20, 0x30])
        try bus.writeBlockData(address: 0x20, register: 0x16, bytes: [0xA, 0xB])
        #expect(try bus.readI2CBlockData(address: 0x20, register: 0x17, count: 2) == [0x05, 0x06])
        try bus.writeI2CBlockData(address: 0x20, register: 0x18, bytes: [0xC, 0xD])

        #expect(bus.log == [
            EmulatedI2CTransaction(0x20, .write([])),
            EmulatedI2CTransaction(0x20, .read([0xAA])),
            EmulatedI2CTransaction(0x20, .write([0x7E])),
            EmulatedI2CTransaction(0x20, .write([0x11]), .read([0x01])),
            EmulatedI2CTransaction(0x20, .write([0x12, 0x99])),
            EmulatedI2CTransaction(0x20, .write([0x13, 0xEF, 0xBE]), .read([0x02, 0x03])),
            EmulatedI2CTransaction(0x20, .write([0x14]), .read([0x04, 0x03])),
            EmulatedI2CTransaction(0x20, .write([0x15]), .read([0x03, 0x10, 0x20, 0x30])),
            EmulatedI2CTransaction(0x20, .write([0x16, 0x02, 0x0A, 0x0B])),
            EmulatedI2CTransaction(0x20, .write([0x17]), .read([0x05, 0x06])),
            EmulatedI2CTransaction(0x20, .write([0x18, 0x0C, 0x0D])),
        ])
    }

    @Test func aCombinedReadIsRepeatedStartThenOneStop() throws {
        let bus = EmulatedI2CBus()
        let device = ScriptedDevice(replies: [0x12, 0x34])
        bus.attach(device, at: 0x21)
        let results = try bus.transfer([.write(0x21, [0x02]), .read(0x21, count: 2)])
        #expect(results == [[], [0x12, 0x34]])
        #expect(device.events == ["start write", "write 2", "start read", "read 18", "read 52", "stop"])
        #expect(bus.log == [EmulatedI2CTransaction(0x21, .write([0x02]), .read([0x12, 0x34]))])
    }

    @Test func receiveLengthReadsTheCountThenTheBytes() throws {
        let bus = EmulatedI2CBus()
        bus.attach(ScriptedDevice(replies: [0x02, 0xCA, 0xFE]), at: 0x0B)
        #expect(try bus.transfer([.write(0x0B, [0x20]), .readBlock(0x0B)]) == [[], [0x02, 0xCA, 0xFE]])

        bus.attach(ScriptedDevice(replies: [0x00]), at: 0x0C)
        let error = #expect(throws: I2CError.self) { try bus.readBlockData(address: 0x0C, register: 0x20) }
        #expect(error?.code == .protocolError)
    }

    @Test func absentAddressNACKsLikeLinux() throws {
        let bus = EmulatedI2CBus(name: "i2c-3")
        let error = #expect(throws: I2CError.self) { try bus.readWordData(address: 0x4F, register: 0x02) }
        #expect(error?.code == .noAcknowledge)
        #expect(error?.errno == I2CError.Code.noAcknowledge.canonicalErrno)
        #expect(error?.errnoName == "ENXIO")
        #expect(error?.description.hasPrefix("i2c-3 0x4f reg 0x02: read word data failed: no acknowledge (ENXIO)") == true)
        #expect(bus.log == [EmulatedI2CTransaction(0x4F, .write([]), acknowledged: false)])
    }

    @Test func aNACKedDataByteStopsTheTransfer() throws {
        let bus = EmulatedI2CBus()
        bus.attach(ScriptedDevice(nackAfter: 1), at: 0x22)
        let error = #expect(throws: I2CError.self) { try bus.writeWordData(address: 0x22, register: 1, value: 0xFFFF) }
        #expect(error?.code == .noAcknowledge)
        #expect(bus.log == [EmulatedI2CTransaction(0x22, .write([0x01, 0xFF]), acknowledged: false)])
    }

    @Test func smbusOnlyAdapterRefusesPlainTransfersAndWideRegistersFallBack() throws {
        let chips = EmulatedI2CChipSet(functionality: .i2cStub)
        chips.ina228.setBusVoltage(raw: 0x12345)
        let error = #expect(throws: I2CError.self) { try chips.bus.transfer([.read(0x44, count: 3)]) }
        #expect(error?.code == .notSupported)
        #expect(error?.errnoName == "EOPNOTSUPP")
        #expect(chips.bus.log.isEmpty)

        #expect(try chips.bus.readRegisterBigEndian(address: 0x44, register: 0x05, byteCount: 3) == 0x123450)
        #expect(chips.bus.log == [EmulatedI2CTransaction(0x44, .write([0x05]), .read([0x12, 0x34, 0x50]))])
    }

    @Test func missingFunctionalityIsNotSupported() throws {
        let chips = EmulatedI2CChipSet(functionality: [.smbusQuick, .smbusByteData])
        let error = #expect(throws: I2CError.self) { try chips.bus.readWordData(address: 0x48, register: 0) }
        #expect(error?.code == .notSupported)
        #expect(try chips.bus.readByteData(address: 0x48, register: 1) == 0x00)
    }

    @Test func oversizedBlocksAreRejectedBeforeTheWire() throws {
        let bus = EmulatedI2CBus()
        bus.attach(ScriptedDevice(), at: 0x22)
        let error = #expect(throws: I2CError.self) {
            try bus.writeBlockData(address: 0x22, register: 0, bytes: Array(repeating: 1, count: 33))
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.errnoName == "EINVAL")
        #expect(bus.log.isEmpty)
    }

    @Test func claimedAddressFailsSMBusAtSetAddressButNotPlainTransfers() throws {
        let chips = EmulatedI2CChipSet(name: "i2c-1")
        chips.bus.claim(0x48)
        let error = #expect(throws: I2CError.self) { try chips.bus.readWordData(address: 0x48, register: 0) }
        #expect(error?.code == .busy)
        #expect(error?.operation == .setAddress)
        #expect(error?.isAddressClaimed == true)
        #expect(error?.description.contains("claimed by a kernel driver") == true)
        #expect(try chips.bus.transfer([.write(0x48, [0]), .read(0x48, count: 2)])[1] == [0x19, 0x00])
        chips.bus.release(0x48)
        #expect(try chips.bus.readRegister16BigEndian(address: 0x48, register: 0) == 0x1900)
    }
}
