import PinionEmulator
import PinionI2C
import Testing

@Suite("Concurrent use of one bus")
struct ConcurrencyTests {
    @Test func concurrentDriversSeeWholeTransactions() async throws {
        let chips = EmulatedI2CChipSet()
        chips.lm75.setTemperature(celsius: 30)
        let bus: any I2CBus = chips.bus
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask { () throws -> Void in
                    for _ in 0..<50 {
                        if task.isMultiple(of: 2) {
                            #expect(try bus.readRegister16BigEndian(address: 0x48, register: 0x00) == 0x1E00)
                        } else {
                            #expect(try bus.readRegister16BigEndian(address: 0x41, register: 0xFF) == 0x2260)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(chips.bus.log.count == 400)
    }
}
