import PinionI2C
import PinionSensors

/// Everything the emulator knows about a chip outside its model's own file: the `SensorType`
/// whose driver reads it, where it sits on an `EmulatedI2CChipSet`, and how to make one.
/// Each emulated chip file declares its entry (`EmulatedLM75.chip`); `EmulatedChips.all` lists them.
public struct EmulatedChipDriver: Sendable {
    /// The registered driver this chip answers to.
    public let type: SensorType
    /// Where `EmulatedI2CChipSet` attaches it; distinct for every entry, and a place the chip's
    /// address pins allow.
    public let chipSetAddress: I2CAddress
    /// A new chip at power-on.
    public let make: @Sendable () -> any EmulatedI2CDevice

    public init(type: SensorType, chipSetAddress: I2CAddress, make: @escaping @Sendable () -> any EmulatedI2CDevice) {
        self.type = type
        self.chipSetAddress = chipSetAddress
        self.make = make
    }
}
