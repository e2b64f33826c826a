/// The chips Pinion drives: each driver file declares its `SensorDriver` and one line here
/// registers it. Configuration parsing, `SensorFactory`, `pinion sensors --chip` and error
/// messages all list chips from here, in this order.
public enum SensorDrivers {
    public static let all: [SensorDriver] = [
        INA219.driver,
        INA226.driver,
        INA228.driver,
        INA3221.driver,
        LM75.driver,
        TMP102.driver,
    ]

    /// The driver registered under `name` (exactly as configuration spells it); nil for none.
    public static func driver(named name: String) -> SensorDriver? {
        all.first { $0.type.rawValue == name }
    }
}
