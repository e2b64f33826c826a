import PinionController
import PinionEmulator

/// The configuration `--simulate` uses when no file is named: sampling, local paths, and the
/// simulated gateway's sensors (`SimulatedGateway.sensorsTOML`) — written as an integrator would
/// write /etc/pinion/pinion.toml.
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

        \(SimulatedGateway.sensorsTOML)
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
