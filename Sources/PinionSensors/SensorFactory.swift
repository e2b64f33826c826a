import PinionI2C

/// What to read, wherever it was described: a `[[sensors]]` entry of a board descriptor or the
/// gateway configuration (`SensorSpec(OnBoardSensor)`, in PinionBoards), or `pinion sensors --chip`.
public struct SensorSpec: Sendable, Hashable, Codable {
    public var type: SensorType
    public var address: I2CAddress
    /// Required for power monitors.
    public var shuntOhms: Double?
    /// Sets the current LSB (INA219/INA226: max / 2¹⁵; INA228: max / 2¹⁹). Default: the current
    /// that fills the chip's shunt range.
    public var maxCurrentAmperes: Double?
    /// INA3221 channel 1–3; nil reads all three (with the same shunt).
    public var channel: Int?
    public var label: String?

    public init(type: SensorType, address: I2CAddress, shuntOhms: Double? = nil, maxCurrentAmperes: Double? = nil,
                channel: Int? = nil, label: String? = nil) {
        self.type = type
        self.address = address
        self.shuntOhms = shuntOhms
        self.maxCurrentAmperes = maxCurrentAmperes
        self.channel = channel
        self.label = label
    }

    /// A type given by name (`"ina226"`), as configuration files spell it; throws
    /// `.unsupportedType` for a chip Pinion has no driver for.
    public init(typeName: String, address: I2CAddress, shuntOhms: Double? = nil, maxCurrentAmperes: Double? = nil,
                channel: Int? = nil, label: String? = nil, bus: String) throws(SensorError) {
        guard let type = SensorType(rawValue: typeName.lowercased()) else {
            throw SensorError(.unsupportedType(typeName), chip: nil, bus: bus, address: address, operation: "create sensor")
        }
        self.init(type: type, address: address, shuntOhms: shuntOhms, maxCurrentAmperes: maxCurrentAmperes, channel: channel, label: label)
    }
}

/// Builds the driver a sensor entry asks for, on a bus the caller resolved (the entry's `bus`
/// names it: `i2c-N`, or `board` for a bus reached through the board), through the chip's
/// registered `SensorDriver` (`SensorDrivers`). Drivers come with the
/// datasheet power-on configuration and a calibration from the entry's shunt and maximum current;
/// call `prepare()` before the first `read()`.
public enum SensorFactory {
    public static func makeSensor(for spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor {
        func invalid(_ detail: String) -> SensorError {
            SensorError(.invalidConfiguration(detail), chip: spec.type, bus: bus.name, address: spec.address, operation: "create sensor")
        }
        let driver = spec.type.driver
        if spec.channel != nil && driver.channels == nil {
            let channelled = SensorType.allCases.filter(\.hasChannels).map(\.displayName).joined(separator: ", ")
            throw invalid("only the \(channelled) has channels")
        }
        if spec.type.isPowerMonitor && spec.shuntOhms == nil {
            throw invalid("\(spec.type.rawValue) needs the shunt resistance (shunt_ohms)")
        }
        return try driver.make(spec, bus)
    }
}
