import PinionI2C
import PinionSensors

/// An emulated bus with one of each chip `EmulatedChips` registers, each at its `chipSetAddress`
/// (INA219 0x40, INA226 0x41, INA3221 0x42, INA228 0x44, LM75 0x48, TMP102 0x49), and a 24C02 at 0x50.
/// Keep the chips to set measured values; hand `bus` to drivers, scanners and the CLI's `--simulate`.
public struct EmulatedI2CChipSet: Sendable {
    public let bus: EmulatedI2CBus
    /// Every registered chip, by the type of its driver.
    public let chips: [SensorType: any EmulatedI2CDevice]
    public let eeprom = Emulated24C02()
    public static let eepromAddress: I2CAddress = 0x50

    /// Where each chip sits, by name (`ina226`, and `24c02` for the EEPROM).
    public static var addresses: [String: I2CAddress] {
        var addresses = Dictionary(uniqueKeysWithValues: EmulatedChips.all.map { ($0.type.rawValue, $0.chipSetAddress) })
        addresses["24c02"] = eepromAddress
        return addresses
    }

    public init(name: String = "i2c-emulated", functionality: I2CFunctionality = EmulatedI2CBus.defaultFunctionality,
                taps: [any I2CTap] = []) {
        bus = EmulatedI2CBus(name: name, functionality: functionality, taps: taps)
        var chips: [SensorType: any EmulatedI2CDevice] = [:]
        for entry in EmulatedChips.all {
            let chip = entry.make()
            bus.attach(chip, at: entry.chipSetAddress)
            chips[entry.type] = chip
        }
        self.chips = chips
        bus.attach(eeprom, at: Self.eepromAddress)
    }

    /// The chip of `type`, as its model class. Stops the process if `EmulatedChips` registers no
    /// chip of that type or one of another class: a programming error, as a misspelled property would be.
    public func chip<Chip: EmulatedI2CDevice>(_ type: SensorType, as _: Chip.Type = Chip.self) -> Chip {
        guard let chip = chips[type] as? Chip else {
            preconditionFailure("no emulated \(Chip.self) for \(type.rawValue) in EmulatedChips.all")
        }
        return chip
    }
}
