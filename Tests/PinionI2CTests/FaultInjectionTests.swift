import PinionEmulator
import PinionI2C
import Testing

/// Faults injected at the chokepoint surface as the same typed errors real hardware gives.
@Suite("Fault injection through taps")
struct FaultInjectionTests {
    @Test func theThirdReadNACKs() throws {
        let faults = I2CFaultInjector()
        faults.fail(.noAcknowledge, matching: .reads, after: 2)
        let chips = EmulatedI2CChipSet(name: "i2c-1", taps: [faults])
        let bus = chips.bus

        try bus.writeRegister16BigEndian(address: 0x41, register: 0x05, value: 0x0800)
        _ = try bus.readRegister16BigEndian(address: 0x41, register: 0x02)
        _ = try bus.readRegister16BigEndian(address: 0x41, register: 0x01)
        let error = #expect(throws: I2CError.self) { try bus.readRegister16BigEndian(address: 0x41, register: 0x04) }
        #expect(error?.code == .noAcknowledge)
        #expect(error?.description.hasPrefix("i2c-1 0x41 reg 0x04: read word data failed: no acknowledge (ENXIO): injected fault") == true)
        #expect(try bus.readRegister16BigEndian(address: 0x41, register: 0x04) == 0)
        #expect(bus.log.count == 4, "the injected failure never reached the wire")
    }

    @Test func aTimeoutNamesBusAddressAndRegister() {
        let faults = I2CFaultInjector()
        faults.fail(.timedOut, matching: .register(0xFE, at: 0x41))
        let chips = EmulatedI2CChipSet(name: "i2c-2")
        chips.bus.taps.add(faults)
        let error = #expect(throws: I2CError.self) { try chips.bus.readRegister16BigEndian(address: 0x41, register: 0xFE) }
        #expect(error?.code == .timedOut)
        #expect(error?.errnoName == "ETIMEDOUT")
        #expect(error?.bus == "i2c-2")
        #expect(error?.address == 0x41)
        #expect(error?.register == 0xFE)
        #expect(error?.description.contains("stuck") == true)
    }

    @Test func transfersPassTheSameChokepoint() throws {
        let faults = I2CFaultInjector()
        faults.fail(.arbitrationLost, times: 1)
        let chips = EmulatedI2CChipSet(taps: [faults])
        let error = #expect(throws: I2CError.self) { try chips.bus.transfer([.write(0x44, [0x3F]), .read(0x44, count: 2)]) }
        #expect(error?.code == .arbitrationLost)
        #expect(error?.operation == .transfer(messages: 2))
        #expect(try chips.bus.transfer([.write(0x44, [0x3F]), .read(0x44, count: 2)]) == [[], [0x22, 0x81]])
    }

    @Test func recorderSeesRealAndInjectedOutcomes() throws {
        let faults = I2CFaultInjector()
        faults.fail(.io, matching: .writes)
        let recorder = I2CRecorder()
        let chips = EmulatedI2CChipSet(name: "i2c-1", taps: [faults, recorder])
        _ = try? chips.bus.writeByteData(address: 0x48, register: 0x01, value: 0x02)
        _ = try chips.bus.readByteData(address: 0x48, register: 0x01)
        _ = try? chips.bus.quickWrite(address: 0x10)

        let entries = recorder.recorded
        #expect(entries.count == 3)
        #expect(entries[0].operation == .smbus(.writeByteData(register: 0x01, value: 0x02), address: 0x48))
        #expect((try? entries[0].outcome.get()) == nil)
        #expect(try entries[1].outcome.get() == .smbus(.byte(0x00)))
        #expect(entries[2].operation.description == "0x10 quick write")
        if case .failure(let error) = entries[2].outcome {
            #expect(error.code == .noAcknowledge)
            #expect(error.bus == "i2c-1")
        } else {
            Issue.record("quick write to an empty address succeeded")
        }
    }
}
