import ArgumentParser
import PinionController

/// Options of the commands that talk to a running controller.
struct APIClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The controller's API socket (default: [api] socket of the configuration, /run/pinion/pinion.sock).", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Gateway configuration file to take the socket from.", valueName: "file"))
    var configPath: String?

    @Flag(help: "Talk to `pinion run --simulate` (its socket in /tmp/pinion-simulate).")
    var simulate = false

    func client() throws -> ControllerClient {
        if let socket { return ControllerClient(socketPath: socket) }
        let path = GatewayConfiguration.path(explicit: configPath)
        let configuration = path == nil && simulate ? try SimulatedGatewayConfiguration.load() : try GatewayConfiguration.load(path: path)
        return ControllerClient(socketPath: configuration.api.socket)
    }
}
