import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// Failures are typed, keep their I2C cause, and say which chip on which bus and address.
@Suite("Sensor errors")
struct SensorErrorTests {
    let bench = Bench(name: "i2c-7")

    @Test func anAbsentChipIsANACKNamingBusAndAddress() throws {
        let ina = try INA226(bus: bench.bus, address: 0x45, shuntOhms: 0.01)
        let error = #expect(throws: SensorError.self) { try ina.prepare() }
        #expect(error?.isAbsent == true)
        #expect(error?.i2cError?.code == .noAcknowledge)
        #expect(error?.chip == .ina226)
        #expect(error?.bus == "i2c-7")
        #expect(error?.address == 0x45)
        #expect(error?.operation == "identify")
        #expect(error?.description.hasPrefix("INA226 at i2c-7 0x45: identify failed: i2c-7 0x45 reg 0xfe: read word data failed: no acknowledge (ENXIO)") == true)
        #expect(error?.description.contains("nothing answered at 0x45") == true)
    }

    @Test func everyDriverReportsAbsenceTheSameWay() throws {
        let sensors: [any Sensor] = [
            try INA219(bus: bench.bus, address: 0x30, shuntOhms: 0.1),
            try INA228(bus: bench.bus, address: 0x30, shuntOhms: 0.01),
            try INA3221(bus: bench.bus, address: 0x30, channels: [.init(number: 1, shuntOhms: 0.1)]),
            LM75(bus: bench.bus, address: 0x30),
            TMP102(bus: bench.bus, address: 0x30),
        ]
        for sensor in sensors {
            let prepare = #expect(throws: SensorError.self) { try sensor.prepare() }
            let read = #expect(throws: SensorError.self) { try sensor.read() }
            for error in [prepare, read] {
                #expect(error?.isAbsent == true)
                #expect(error?.description.hasPrefix("\(sensor.source.type.displayName) at i2c-7 0x30: ") == true)
            }
        }
    }

    @Test func aTimeoutMidReadSaysWhichRegister() throws {
        let faults = I2CFaultInjector()
        faults.fail(.timedOut, matching: .register(0x03, at: 0x41))
        bench.bus.taps.add(faults)
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.01)
        let error = #expect(throws: SensorError.self) { try ina.read() }
        #expect(error?.operation == "read power")
        #expect(error?.i2cError?.code == .timedOut)
        #expect(error?.i2cError?.register == 0x03)
        #expect(error?.isAbsent == false)
        #expect(try ina.read().count == 1, "the next read works")
    }

    @Test func aResetChipIsNoticedNotReadAsZeroAmperes() throws {
        let ina = try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0.01, maxCurrentAmperes: 2)
        try ina.prepare()
        bench.chips.ina226.setShuntVoltage(volts: 0.01)
        #expect(try ina.read().first?.power?.amperes ?? 0 > 0.9)
        try bench.bus.writeRegister16BigEndian(address: 0x41, register: 0x00, value: 0x8000)  // brown-out
        bench.chips.ina226.setShuntVoltage(volts: 0.01)
        bench.clear()
        let error = #expect(throws: SensorError.self) { try ina.read() }
        #expect(error?.reason == .lostCalibration)
        #expect(bench.recorder.accesses() == [.read16(0x01), .read16(0x02), .read16(0x03), .read16(0x04), .read16(0x05)])
        try ina.prepare()
        #expect(try ina.read().first?.power?.amperes ?? 0 > 0.9)

        let ina219 = try INA219(bus: bench.bus, address: 0x40, shuntOhms: 0.1, maxCurrentAmperes: 2)
        bench.chips.ina219.setShuntVoltage(volts: 0.01)
        let never = #expect(throws: SensorError.self) { try ina219.read() }
        #expect(never?.description.hasSuffix("the chip was reset or lost power; prepare it again") == true)
    }

    @Test func anotherTIChipIsNamed() throws {
        let ina = try INA226(bus: bench.bus, address: 0x42, shuntOhms: 0.01)  // the INA3221's address
        let error = #expect(throws: SensorError.self) { try ina.prepare() }
        #expect(error?.reason == .wrongChip(found: "manufacturer ID 0x5449 (TI), device ID 0x3220 is an INA3221"))
        #expect(error?.description == "INA226 at i2c-7 0x42: identify failed: manufacturer ID 0x5449 (TI), device ID 0x3220 is an INA3221, not an INA226; check the sensor's type and address in the board descriptor or gateway configuration")
        #expect(bench.recorder.accesses() == [.read16(0xFE), .read16(0xFF)], "nothing is written to a chip that is not ours")
    }

    @Test func aChipWithoutIDRegistersIsNotMistakenForOne() throws {
        // An LM75 answers every pointer with one of its four registers: THYST and TOS here.
        let ina = try INA228(bus: bench.bus, address: 0x48, shuntOhms: 0.01)
        let error = #expect(throws: SensorError.self) { try ina.identify() }
        #expect(error?.reason == .wrongChip(found: "manufacturer ID 0x4b00, device ID 0x5000 is no chip Pinion knows"))
        let ina3221 = try INA3221(bus: bench.bus, address: 0x41, channels: [.init(number: 1, shuntOhms: 0.1)])
        let other = #expect(throws: SensorError.self) { try ina3221.identify() }
        #expect(other?.description.contains("is an INA226, not an INA3221") == true)
    }

    @Test func ina228NeedsI2CBlockReads() throws {
        let wordsOnly = Bench(name: "i2c-9", functionality: [.smbusQuick, .smbusByteData, .smbusWordData])
        let ina = try INA228(bus: wordsOnly.bus, address: 0x44, shuntOhms: 0.01, maxCurrentAmperes: 2)
        try ina.prepare()  // identification and configuration are 16-bit registers
        let error = #expect(throws: SensorError.self) { try ina.read() }
        #expect(error?.reason == .adapterLacks(.smbusReadI2CBlock, adapterHas: [.smbusQuick, .smbusByteData, .smbusWordData]))
        #expect(error?.description.hasPrefix("INA228 at i2c-9 0x44: read shunt voltage failed: the adapter cannot do I2C Block Read") == true)
        #expect(!wordsOnly.recorder.accesses().contains(.readBlock(0x04, 3)), "nothing was attempted")
    }

    @Test func settingsThatCannotBeProgrammedAreInvalidConfiguration() {
        let zero = #expect(throws: SensorError.self) { try INA226(bus: bench.bus, address: 0x41, shuntOhms: 0) }
        #expect(zero?.description == "INA226 at i2c-7 0x41: calibrate failed: shunt resistance must be a positive number of ohms, got 0.0")
        let channels = #expect(throws: SensorError.self) {
            try INA3221(bus: bench.bus, address: 0x42, channels: [.init(number: 4, shuntOhms: 0.1)])
        }
        #expect(channels?.reason == .invalidConfiguration("INA3221 channels must be distinct numbers 1 to 3, got [4]"))
        let mismatch = #expect(throws: SensorError.self) {
            try INA228(bus: bench.bus, address: 0x44, calibration: .init(shuntOhms: 0.01, registerValue: 500),
                       configuration: .init(adcRange: .millivolts40_96))
        }
        #expect(mismatch?.operation == "configure")
    }
}
