extension SimulatedGateway {
    /// The simulated gateway's sensors as an integrator would list them in
    /// /etc/pinion/pinion.toml: the rail monitors of EMU-S-0001 (INA226 at 0x41) and EMU-L-0001
    /// (INA228 at 0x44), whose boards have power models, and the two thermometers. (Its INA219 and
    /// INA3221 measure nothing.)
    public static let sensorsTOML = """
        [[sensors]]
        bus = "i2c-1"
        type = "ina226"
        address = 0x41
        shunt_ohms = 0.01
        max_current_a = 2.0
        label = "EMU-S-0001 5 V"
        board = "EMU-S-0001"

        [[sensors]]
        bus = "i2c-1"
        type = "ina228"
        address = 0x44
        shunt_ohms = 0.015
        max_current_a = 2.0
        label = "EMU-L-0001 12 V"
        board = "EMU-L-0001"

        [[sensors]]
        bus = "i2c-1"
        type = "lm75"
        address = 0x48
        label = "gateway"

        [[sensors]]
        bus = "i2c-1"
        type = "tmp102"
        address = 0x49
        label = "enclosure"
        """
}
