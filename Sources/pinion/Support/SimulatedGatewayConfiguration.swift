import PinionController

/// The configuration `--simulate` uses when no file is named: the simulated gateway's rail
/// monitors for EMU-S-0001 (INA226 at 0x41) and EMU-L-0001 (INA228 at 0x44), whose boards have
/// power models, and its two thermometers — written as an integrator would write
/// /etc/pinion/pinion.toml. (Its INA219 and INA3221 measure nothing; `--chip` reads them.)
enum SimulatedGatewayConfiguration {
    static let text = """
        [sampling]
        power_hz = 100
        temperature_hz = 1

        [scheduler]
        journal = "/tmp/pinion-simulate/journal.sqlite"

        [api]
        socket = "/tmp/pinion-simulate/pinion.sock"

        [ledger]
        identity = "/tmp/pinion-simulate/identity.pem"
        path = "/tmp/pinion-simulate/ledger.jsonl"

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

    static func load() throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(text, file: "(built-in simulated gateway configuration)")
    }
}

extension GlobalOptions {
    /// The gateway configuration these options name: `--config`, `$PINION_CONFIG`,
    /// /etc/pinion/pinion.toml, or under `--simulate` with none of those, the simulated gateway's.
    func gatewayConfiguration() throws -> GatewayConfiguration {
        let path = GatewayConfiguration.path(explicit: configPath)
        if path == nil && simulate { return try SimulatedGatewayConfiguration.load() }
        return try GatewayConfiguration.load(path: path)
    }
}
