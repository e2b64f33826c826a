import ArgumentParser
import Foundation
import PinionController

/// `pinion config check`: reads the gateway configuration as `pinion run` would and says what it
/// sets, every section; or every problem, a line each on standard error, and exits 1.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check the gateway configuration file.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Read the gateway configuration and print what it sets; exit 1 with every problem, a line each, if it is wrong.")

        @Argument(help: "The file (default: $PINION_CONFIG, else /etc/pinion/pinion.toml).") var file: String?

        func run() async throws {
            guard let path = GatewayConfiguration.path(explicit: file) else {
                print("no configuration file (\(GatewayConfiguration.defaultPath) does not exist): Pinion runs with the defaults and no gateway sensors")
                return
            }
            let (configuration, problems) = GatewayConfiguration.check(path: path)
            guard problems.isEmpty else {
                for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
                throw ExitCode.failure
            }
            print("\(path): ok")
            for line in Self.summary(of: configuration) { print("  \(line)") }
        }

        /// One line per section, in the file's order of documentation, then one per sensor.
        static func summary(of configuration: GatewayConfiguration) -> [String] {
            func n(_ value: Double) -> String { NumericKey.text(value) }
            let scheduler = configuration.scheduler
            let api = configuration.api
            let ledger = configuration.ledger
            var lines = [
                "sampling: power \(n(configuration.sampling.powerHertz)) Hz, temperature \(n(configuration.sampling.temperatureHertz)) Hz, gaps over \(n(configuration.maximumGapSeconds)) s",
                "scheduler: \(scheduler.policy), journal \(scheduler.journal), models \(scheduler.modelsDirectory), "
                    + (scheduler.powerBudgetWatts.map { "power budget \($0) W" } ?? "no power budget")
                    + ", finished tasks kept " + (scheduler.keepFinishedHours == 0 ? "for ever" : "\(n(scheduler.keepFinishedHours)) h"),
                "api: \(api.socket) (group \(api.socketGroup))" + (api.tcp.map { ", tcp \($0.host):\($0.port) with the token in \(api.tokenFile ?? "?")" } ?? ""),
                "ledger: \(ledger.path), identity \(ledger.identity), energy report every \(n(ledger.energyReportSeconds)) s",
            ]
            if let upstream = configuration.upstream {
                lines.append("upstream: mqtt\(upstream.caFile == nil ? "" : "s")://\(upstream.host):\(upstream.port) (MQTT \(upstream.mqtt5 ? "5" : "3.1.1")), "
                             + "topics under \(upstream.topicPrefix)/, outbox \(upstream.outbox), outbox at most \(n(Double(upstream.outboxMaxBytes) / 1_048_576)) MiB "
                             + "and \(n(upstream.outboxMaxAgeSeconds / 3600)) h, telemetry \(upstream.telemetry) every \(n(upstream.telemetrySeconds)) s"
                             + (upstream.tasksSubscription.map { ", tasks from \($0)" } ?? ""))
            } else {
                lines.append("upstream: none (nothing is sent anywhere)")
            }
            for entry in configuration.sensors {
                let s = entry.sensor
                var line = "sensor: \(s.bus) \(s.address) \(s.type.rawValue)"
                if let channel = s.channel { line += " channel \(channel)" }
                if let shunt = s.shuntOhms { line += ", shunt \(shunt) Ω" }
                if let label = s.label { line += " \"\(label)\"" }
                if let board = entry.board { line += " → board \(board)" }
                lines.append(line)
            }
            return lines
        }
    }
}
