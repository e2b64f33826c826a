import PinionI2C
import PinionSensors

/// Which buses a sensor entry may name.
public enum SensorBusKind: Sendable {
    /// `board` (reached through the board) or `i2c-N`: board descriptors.
    case boardOrGateway
    /// `i2c-N` only: the gateway configuration.
    case gatewayOnly
}

extension OnBoardSensor {
    /// Reads a `[[sensors]]` entry (type, bus, address, shunt_ohms, max_current_a, channel, label)
    /// from a board descriptor or the gateway configuration. Leaves `finish()` to the caller, which
    /// may read keys of its own first.
    public init(reading reader: TOMLReader, buses: SensorBusKind) throws(CatalogueError) {
        let typeName = try reader.requiredString("type")
        guard let type = SensorType(rawValue: typeName) else {
            throw reader.error("type", "expected one of \(SensorType.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(typeName)\"")
        }
        let bus = try reader.requiredString("bus")
        let gatewayBus = bus.hasPrefix("i2c-") && Int(bus.dropFirst(4)) != nil
        switch buses {
        case .boardOrGateway:
            guard bus == "board" || gatewayBus else { throw reader.error("bus", "expected \"board\" or \"i2c-N\", got \"\(bus)\"") }
        case .gatewayOnly:
            guard gatewayBus else { throw reader.error("bus", "expected \"i2c-N\" (the gateway's /dev/i2c-N), got \"\(bus)\"") }
        }
        let address = try reader.requiredInt("address", in: 0x08...0x77)
        let shunt = try reader.double("shunt_ohms")
        if type.isPowerMonitor && shunt == nil { throw reader.error("shunt_ohms", "missing: \(typeName) needs the shunt resistance in ohms") }
        if !type.isPowerMonitor && shunt != nil { throw reader.error("shunt_ohms", "\(typeName) is a thermometer and has no shunt") }
        let channel = try reader.int("channel", in: 1...3)
        if channel != nil && !type.hasChannels {
            let channelled = SensorType.allCases.filter(\.hasChannels).map(\.rawValue).joined(separator: ", ")
            throw reader.error("channel", "only \(channelled) has channels")
        }
        self.init(type: type, bus: bus, address: I2CAddress(rawValue: UInt8(address))!, shuntOhms: shunt,
                  maxCurrentAmperes: try reader.double("max_current_a"), channel: channel, label: try reader.string("label"))
    }

    /// N of `i2c-N`, nil for `board`.
    public var gatewayBusNumber: Int? {
        bus.hasPrefix("i2c-") ? Int(bus.dropFirst(4)) : nil
    }
}
