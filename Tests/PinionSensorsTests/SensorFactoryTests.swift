import Foundation
import PinionBoards
import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// Board descriptors' sensor entries become the right drivers.
@Suite("Sensor factory")
struct SensorFactoryTests {
    let bench = Bench(name: "i2c-1")

    /// An `OnBoardSensor` as a board descriptor yields it (its memberwise initializer is internal
    /// to PinionBoards; the type is Codable).
    func onBoard(_ json: String) throws -> OnBoardSensor {
        try JSONDecoder().decode(OnBoardSensor.self, from: Data(json.utf8))
    }

    @Test func eachTypeGetsItsDriver() throws {
        let entries = [
            (#"{"type":"ina219","bus":"i2c-1","address":64,"shuntOhms":0.1,"maxCurrentAmperes":2}"#, INA219.self as any Sensor.Type),
            (#"{"type":"ina226","bus":"i2c-1","address":65,"shuntOhms":0.01,"maxCurrentAmperes":2,"label":"board input"}"#, INA226.self),
            (#"{"type":"ina3221","bus":"i2c-1","address":66,"shuntOhms":0.1,"channel":2}"#, INA3221.self),
            (#"{"type":"ina228","bus":"i2c-1","address":68,"shuntOhms":0.01,"maxCurrentAmperes":2}"#, INA228.self),
            (#"{"type":"lm75","bus":"i2c-1","address":72,"label":"NPU die"}"#, LM75.self),
            (#"{"type":"tmp102","bus":"i2c-1","address":73}"#, TMP102.self),
        ]
        for (json, driver) in entries {
            let entry = try onBoard(json)
            let sensor = try makeSensor(for: entry, bus: bench.bus)
            #expect(type(of: sensor) == driver)
            #expect(sensor.source.type == entry.type)
            #expect(sensor.source.address == entry.address)
            try sensor.prepare()
            let readings = try sensor.read()
            #expect(readings.count == 1, "\(entry.type): one reading (the INA3221 entry names one channel)")
            #expect(readings.first?.source.label == entry.label)
        }
    }

    @Test func calibrationComesFromTheEntry() throws {
        let sensor = try makeSensor(for: try onBoard(#"{"type":"ina226","bus":"board","address":65,"shuntOhms":0.002,"maxCurrentAmperes":10}"#),
                                    bus: bench.bus)
        let ina = try #require(sensor as? INA226)
        #expect(ina.calibration.registerValue == 8388)
        #expect(ina.configuration == .powerOn)
        // Without a maximum current: the one that fills the shunt range, 81.92 mV / 2 mΩ = 40.96 A.
        let full = try #require(try SensorFactory.makeSensor(for: SensorSpec(type: .ina226, address: 0x41, shuntOhms: 0.002),
                                                              bus: bench.bus) as? INA226)
        #expect(close(full.calibration.nominalCurrentLSB, 40.96 / 32768))
        #expect(full.calibration.registerValue == 2048)
    }

    @Test func anINA3221WithoutAChannelReadsAllThree() throws {
        let sensor = try SensorFactory.makeSensor(for: SensorSpec(type: .ina3221, address: 0x42, shuntOhms: 0.1, label: "rails"), bus: bench.bus)
        #expect(try sensor.read().map(\.source.channel) == [1, 2, 3])
    }

    @Test func theEmulatedBoardsDescriptorsAllBuild() throws {
        let boards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("boards").path
        let catalogue = try BoardCatalogue.load(directories: [boards])
        let entries = catalogue.boards.flatMap(\.sensors)
        #expect(!entries.isEmpty)
        for entry in entries {
            let sensor = try makeSensor(for: entry, bus: bench.bus)
            #expect(sensor.source.type == entry.type)
        }
    }

    @Test func unsupportedTypesAndIncompleteEntriesAreTypedErrors() throws {
        let unknown = #expect(throws: SensorError.self) {
            try SensorSpec(typeName: "ina238", address: 0x40, shuntOhms: 0.01, bus: "i2c-1")
        }
        #expect(unknown?.reason == .unsupportedType("ina238"))
        #expect(unknown?.description == "i2c-1 0x40: create sensor failed: no driver for sensor type \"ina238\" (supported: ina219, ina226, ina228, ina3221, lm75, tmp102)")
        #expect(try SensorSpec(typeName: "INA226", address: 0x40, shuntOhms: 0.01, bus: "i2c-1").type == .ina226)

        let noShunt = #expect(throws: SensorError.self) {
            try SensorFactory.makeSensor(for: SensorSpec(type: .ina226, address: 0x41), bus: bench.bus)
        }
        #expect(noShunt?.reason == .invalidConfiguration("ina226 needs the shunt resistance (shunt_ohms)"))
        let channel = #expect(throws: SensorError.self) {
            try SensorFactory.makeSensor(for: SensorSpec(type: .lm75, address: 0x48, channel: 1), bus: bench.bus)
        }
        #expect(channel?.reason == .invalidConfiguration("only the INA3221 has channels"))
    }
}
