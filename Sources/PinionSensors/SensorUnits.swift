/// Electrical and thermal quantities in SI units, as the drivers report them.
public struct PowerReading: Sendable, Hashable, Codable {
    /// Bus (load-side supply) voltage, volts.
    public var busVolts: Double
    /// Voltage across the shunt resistor, volts (signed).
    public var shuntVolts: Double
    /// Current through the shunt, amperes (signed).
    public var amperes: Double
    /// Power delivered, watts.
    public var watts: Double

    public init(busVolts: Double, shuntVolts: Double, amperes: Double, watts: Double) {
        self.busVolts = busVolts
        self.shuntVolts = shuntVolts
        self.amperes = amperes
        self.watts = watts
    }
}
