import PinionI2C

/// An emulated bus with one of each chip Pinion drives, at addresses their address pins allow:
/// INA219 0x40, INA226 0x41, INA3221 0x42, INA228 0x44, LM75 0x48, TMP102 0x49, 24C02 0x50.
/// Keep the chips to set measured values; hand `bus` to drivers, scanners and the CLI's `--simulate`.
public struct EmulatedI2CChipSet: Sendable {
    public let bus: EmulatedI2CBus
    public let ina219 = EmulatedINA219()
    public let ina226 = EmulatedINA226()
    public let ina3221 = EmulatedINA3221()
    public let ina228 = EmulatedINA228()
    public let lm75 = EmulatedLM75()
    public let tmp102 = EmulatedTMP102()
    public let eeprom = Emulated24C02()

    /// Where each chip sits.
    public static let addresses: [String: I2CAddress] = [
        "ina219": 0x40, "ina226": 0x41, "ina3221": 0x42, "ina228": 0x44, "lm75": 0x48, "tmp102": 0x49, "24c02": 0x50,
    ]

    public init(name: String = "i2c-emulated", functionality: I2CFunctionality = EmulatedI2CBus.defaultFunctionality,
                taps: [any I2CTap] = []) {
        bus = EmulatedI2CBus(name: name, functionality: functionality, taps: taps)
        bus.attach(ina219, at: 0x40)
        bus.attach(ina226, at: 0x41)
        bus.attach(ina3221, at: 0x42)
        bus.attach(ina228, at: 0x44)
        bus.attach(lm75, at: 0x48)
        bus.attach(tmp102, at: 0x49)
        bus.attach(eeprom, at: 0x50)
    }
}
