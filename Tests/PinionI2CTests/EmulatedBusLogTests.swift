import PinionEmulator
import PinionI2C
import Testing

/// The emulated bus's transaction log stays bounded: `pinion run --simulate` samples its chips at
/// 100 Hz for as long as it runs, and a log of every transfer grew its memory by 200 KB a second.
@Suite("Emulated I2C bus log")
struct EmulatedBusLogTests {
    @Test func keepsTheLatestTransactionsAndCountsTheRest() throws {
        let bus = EmulatedI2CBus(name: "i2c-9", logLimit: 8)
        let chip = EmulatedLM75()
        bus.attach(chip, at: 0x48)
        for register in 0..<100 {
            try bus.writeByteData(address: 0x48, register: 0x02, value: UInt8(register))
        }
        let log = bus.log
        #expect((8...10).contains(log.count))
        #expect(bus.forgottenTransactions + log.count == 100)
        #expect(log.last == EmulatedI2CTransaction(0x48, .write([0x02, 99])))
        #expect(log.first == EmulatedI2CTransaction(0x48, .write([0x02, UInt8(100 - log.count)])))
    }
}
