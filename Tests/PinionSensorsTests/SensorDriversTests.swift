import Foundation
import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

@Suite("Sensor driver registry")
struct SensorDriversTests {
    @Test func everyRegisteredChipIsFoundByItsNameAndMakesItsOwnDriver() throws {
        #expect(SensorType.allCases.map(\.rawValue) == ["ina219", "ina226", "ina228", "ina3221", "lm75", "tmp102"])
        let bus = EmulatedI2CBus(name: "i2c-9")
        for driver in SensorDrivers.all {
            #expect(SensorType(rawValue: driver.type.rawValue) == driver.type)
            let spec = SensorSpec(type: driver.type, address: driver.defaultAddress, shuntOhms: driver.measures == .power ? 0.01 : nil)
            let sensor = try SensorFactory.makeSensor(for: spec, bus: bus)
            #expect(sensor.source.type == driver.type)
            #expect(sensor.source.address == driver.defaultAddress)
        }
    }

    @Test func aNameWithoutADriverIsNoTypeAndDoesNotDecode() {
        #expect(SensorType(rawValue: "ina238") == nil)
        #expect(SensorType(rawValue: "INA226") == nil, "names are exact; SensorSpec(typeName:) lowercases")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SensorType].self, from: Data(#"["ina238"]"#.utf8)) }
        #expect((try? JSONDecoder().decode([SensorType].self, from: Data(#"["lm75"]"#.utf8))) == [.lm75])
    }

    @Test func whatAChipMeasuresDecidesShuntAndChannels() {
        #expect(SensorType.allCases.filter(\.isPowerMonitor) == [.ina219, .ina226, .ina228, .ina3221])
        #expect(SensorType.allCases.filter(\.hasChannels) == [.ina3221])
        #expect(SensorType.ina3221.driver.channels == 1...3)
        #expect(SensorType.allCases.filter { $0.driver.accumulatesEnergy } == [.ina228])
    }
}
