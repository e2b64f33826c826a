import PinionController

extension FuzzTarget {
    /// pinion.toml as `GatewayConfiguration.load(path:)` reads it: UTF-8 text, then `parse`.
    static let gatewayConfiguration = FuzzTarget(name: "gateway-config",
                                                 summary: "GatewayConfiguration.parse (pinion.toml)") { bytes in
        guard let text = bytes.utf8Text else { return }
        _ = try? GatewayConfiguration.parse(text, file: "pinion.toml")
    }
}
