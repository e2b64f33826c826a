import PinionI2C
import PinionSensors

extension SensorSpec {
    /// The entry of a board descriptor or of the gateway configuration.
    public init(_ sensor: OnBoardSensor) {
        self.init(type: sensor.type, address: sensor.address, shuntOhms: sensor.shuntOhms, maxCurrentAmperes: sensor.maxCurrentAmperes,
                  channel: sensor.channel, label: sensor.label)
    }
}

extension SensorFactory {
    /// The driver for a board descriptor's or the gateway configuration's sensor entry, on `bus`.
    public static func makeSensor(for sensor: OnBoardSensor, bus: any I2CBus) throws(SensorError) -> any Sensor {
        try makeSensor(for: SensorSpec(sensor), bus: bus)
    }
}

/// The driver for a board descriptor's sensor entry, on `bus`. See `SensorFactory`.
public func makeSensor(for sensor: OnBoardSensor, bus: any I2CBus) throws(SensorError) -> any Sensor {
    try SensorFactory.makeSensor(for: sensor, bus: bus)
}
