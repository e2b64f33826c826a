import PinionI2C

/// Everything Pinion knows about a chip outside its driver's own file: its name, what it
/// measures, where it usually sits and how to make its driver from a sensor entry.
public struct SensorDriver: Sendable {
    /// What a chip measures.
    public enum Measures: Sendable, Hashable {
        /// Bus voltage, current and power of a rail, through a shunt (entries need `shunt_ohms`).
        case power
        /// Temperature (entries have no shunt).
        case temperature
    }

    public let type: SensorType
    public let measures: Measures
    /// The address the chip answers at with its address pins at their defaults.
    public let defaultAddress: I2CAddress
    /// The channels an entry may name (`channel = N`); nil for single-channel chips.
    public let channels: ClosedRange<Int>?
    /// Its readings carry a hardware energy accumulator (`energyJoules`), which the energy meter
    /// prefers to integrating power.
    public let accumulatesEnergy: Bool
    /// The driver for an entry already checked against `measures` and `channels`, on `bus`.
    public let make: @Sendable (_ spec: SensorSpec, _ bus: any I2CBus) throws(SensorError) -> any Sensor

    public init(type: SensorType, measures: Measures, defaultAddress: I2CAddress, channels: ClosedRange<Int>? = nil,
                accumulatesEnergy: Bool = false, make: @escaping @Sendable (_ spec: SensorSpec, _ bus: any I2CBus) throws(SensorError) -> any Sensor) {
        self.type = type
        self.measures = measures
        self.defaultAddress = defaultAddress
        self.channels = channels
        self.accumulatesEnergy = accumulatesEnergy
        self.make = make
    }
}
