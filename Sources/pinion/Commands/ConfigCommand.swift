import ArgumentParser
import Foundation
import PinionController

/// `pinion config check`: reads the gateway configuration and says what it sets, or the one line
/// that is wrong.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check the gateway configuration file.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Read the gateway configuration and print what it sets; exit 1 with the error if it is wrong.")

        @Argument(help: "The file (default: $PINION_CONFIG, else /etc/pinion/pinion.toml).") var file: String?

        func run() async throws {
            guard let path = GatewayConfiguration.path(explicit: file) else {
                print("no configuration file (\(GatewayConfiguration.defaultPath) does not exist): Pinion runs with the defaults and no gateway sensors")
                return
            }
            let configuration: GatewayConfiguration
            do {
                configuration = try GatewayConfiguration.load(path: path)
            } catch {
                throw CommandError("\(error)")
            }
            print("\(path): ok")
            print("  sampling: power \(configuration.sampling.powerHertz) Hz, temperature \(configuration.sampling.temperatureHertz) Hz, gaps over \(configuration.maximumGapSeconds) s")
            print("  scheduler: \(configuration.scheduler.policy), journal \(configuration.scheduler.journal), models \(configuration.scheduler.modelsDirectory)")
            print("  api: \(configuration.api.socket) (group \(configuration.api.socketGroup))"
                  + (configuration.api.tcp.map { ", tcp \($0.host):\($0.port) with the token in \(configuration.api.tokenFile ?? "?")" } ?? ""))
            if configuration.api.tcp != nil {
                do { _ = try configuration.api.token() } catch { throw CommandError("\(error)") }
            }
            for entry in configuration.sensors {
                let s = entry.sensor
                var line = "  sensor: \(s.bus) \(s.address) \(s.type.rawValue)"
                if let channel = s.channel { line += " channel \(channel)" }
                if let shunt = s.shuntOhms { line += ", shunt \(shunt) Ω" }
                if let label = s.label { line += " \"\(label)\"" }
                if let board = entry.board { line += " → board \(board)" }
                print(line)
            }
        }
    }
}
