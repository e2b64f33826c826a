import PinionBoards
import PinionI2C

/// What to read, wherever it was described: a `[[sensors]]` entry of a board descriptor
/// (`OnBoardSensor`) or a rail monitor or thermometer in the gateway configuration.
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

    /// The entry of a board descriptor.
    public init(_ sensor: OnBoardSensor) {
        self.init(type: sensor.type, address: sensor.address, shuntOhms: sensor.shuntOhms, maxCurrentAmperes: sensor.maxCurrentAmperes,
                  channel: sensor.channel, label: sensor.label)
    }
}

/// Builds the driver a sensor entry asks for, on a bus the caller resolved (the entry's `bus`
/// names it: `i2c-N`, or `board` for a bus reached through the board). Drivers come with the
/// datasheet power-on configuration and a calibration from the entry's shunt and maximum current;
/// call `prepare()` before the first `read()`.
public enum SensorFactory {
    public static func makeSensor(for spec: SensorSpec, bus: any I2CBus) throws(SensorError) -> any Sensor {
        func invalid(_ detail: String) -> SensorError {
            SensorError(.invalidConfiguration(detail), chip: spec.type, bus: bus.name, address: spec.address, operation: "create sensor")
        }
        if spec.channel != nil && spec.type != .ina3221 { throw invalid("only the INA3221 has channels") }
        if spec.type.isPowerMonitor && spec.shuntOhms == nil {
            throw invalid("\(spec.type.rawValue) needs the shunt resistance (shunt_ohms)")
        }
        let shunt = spec.shuntOhms ?? 0
        switch spec.type {
        case .ina219:
            return try INA219(bus: bus, address: spec.address, shuntOhms: shunt, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
        case .ina226:
            return try INA226(bus: bus, address: spec.address, shuntOhms: shunt, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
        case .ina228:
            return try INA228(bus: bus, address: spec.address, shuntOhms: shunt, maxCurrentAmperes: spec.maxCurrentAmperes, label: spec.label)
        case .ina3221:
            let numbers = spec.channel.map { [$0] } ?? [1, 2, 3]
            return try INA3221(bus: bus, address: spec.address,
                               channels: numbers.map { INA3221.Channel(number: $0, shuntOhms: shunt, label: spec.label) })
        case .lm75:
            return LM75(bus: bus, address: spec.address, label: spec.label)
        case .tmp102:
            return TMP102(bus: bus, address: spec.address, label: spec.label)
        }
    }

    public static func makeSensor(for sensor: OnBoardSensor, bus: any I2CBus) throws(SensorError) -> any Sensor {
        try makeSensor(for: SensorSpec(sensor), bus: bus)
    }
}

/// The driver for a board descriptor's sensor entry, on `bus`. See `SensorFactory`.
public func makeSensor(for sensor: OnBoardSensor, bus: any I2CBus) throws(SensorError) -> any Sensor {
    try SensorFactory.makeSensor(for: sensor, bus: bus)
}
