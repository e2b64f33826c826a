/// A chip Pinion has a driver for, by the name configuration files and readings give it
/// (`ina226`). Only names `SensorDrivers` registers exist: `SensorType(rawValue:)` is nil for any
/// other name and decoding one fails, as for an enum. Each driver declares its own
/// (`SensorType.ina226` in INA226.swift).
public struct SensorType: RawRepresentable, Sendable, Hashable, Codable, CaseIterable {
    public let rawValue: String

    /// The registered chip of that name; nil for a name no driver has.
    public init?(rawValue: String) {
        guard SensorDrivers.driver(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// A driver's declaration of its own name (not looked up: the registry is built from these).
    init(declaring name: String) {
        rawValue = name
    }

    /// Every registered chip, in `SensorDrivers.all`'s order.
    public static var allCases: [SensorType] { SensorDrivers.all.map(\.type) }

    /// The registered driver of this chip.
    public var driver: SensorDriver {
        guard let driver = SensorDrivers.driver(named: rawValue) else {
            preconditionFailure("sensor type \(rawValue) is declared but not registered in SensorDrivers.all")
        }
        return driver
    }

    /// Power monitors need a shunt resistance; thermometers do not.
    public var isPowerMonitor: Bool { driver.measures != .temperature }

    /// Whether entries may name a channel (`channel = 1…3`).
    public var hasChannels: Bool { driver.channels != nil }

    /// The chip's name as datasheets print it: `INA226`, `LM75`, `TMP102`.
    public var displayName: String { rawValue.uppercased() }
}
