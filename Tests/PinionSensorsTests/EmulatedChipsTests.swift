import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

@Suite("Emulated chip registry")
struct EmulatedChipsTests {
    @Test func everyDriverHasOneEmulatedChipAtAnAddressOfItsOwn() {
        #expect(Set(EmulatedChips.all.map(\.type)) == Set(SensorDrivers.all.map(\.type)))
        #expect(EmulatedChips.all.count == SensorDrivers.all.count, "one emulated chip per driver")
        let addresses = EmulatedChips.all.map(\.chipSetAddress) + [EmulatedI2CChipSet.eepromAddress]
        #expect(Set(addresses).count == addresses.count, "two chips share an address: \(addresses)")
        for driver in SensorDrivers.all {
            #expect(EmulatedChips.chip(for: driver.type)?.type == driver.type)
        }
    }

    /// As `pinion sensors --simulate 1 --chip TYPE@ADDRESS` does: the driver from the registry on the
    /// simulated gateway's bus, each chip read over real transfers at its chip-set address.
    @Test func theChipSetAnswersEveryDriverAtItsAddress() throws {
        let bench = Bench(name: "i2c-1")
        for entry in EmulatedChips.all {
            let driver = entry.type.driver
            #expect(EmulatedI2CChipSet.addresses[entry.type.rawValue] == entry.chipSetAddress)
            #expect(bench.chips.chips[entry.type] != nil)
            let spec = SensorSpec(type: entry.type, address: entry.chipSetAddress, shuntOhms: driver.measures == .power ? 0.01 : nil,
                                  channel: driver.channels?.lowerBound)
            let sensor = try SensorFactory.makeSensor(for: spec, bus: bench.bus)
            bench.clear()
            try sensor.prepare()
            let readings = try sensor.read()
            let transfers = bench.recorder.recorded
            #expect(!transfers.isEmpty && transfers.allSatisfy { $0.operation.address == entry.chipSetAddress },
                    "\(entry.type.rawValue): \(transfers.map(\.operation.description))")
            #expect(transfers.allSatisfy { (try? $0.outcome.get()) != nil }, "\(entry.type.rawValue): a transfer failed")
            let reading = try #require(readings.first, "\(entry.type.rawValue) read nothing")
            #expect(reading.source.type == entry.type && reading.source.address == entry.chipSetAddress)
            switch driver.measures {
            case .power: #expect(reading.power != nil, "\(entry.type.rawValue) read no power")
            case .temperature: #expect(reading.celsius != nil, "\(entry.type.rawValue) read no temperature")
            }
        }
    }

    @Test func theTypedChipsAreTheRegisteredOnes() {
        let chips = EmulatedI2CChipSet()
        #expect(chips.chips[.ina226] === chips.ina226)
        #expect(chips.chips[.lm75] === chips.lm75)
        chips.lm75.setTemperature(celsius: 31.5)
        #expect(chips.chip(.lm75, as: EmulatedLM75.self).temperature == 31.5)
    }
}
