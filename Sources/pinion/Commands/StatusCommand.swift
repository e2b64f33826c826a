import ArgumentParser
import PinionController
import PinionScheduler
import PinionUpstream

/// `pinion status`: the running controller's scheduler and boards, its sensor sampling, its
/// ledger's health, and its link to the MQTT broker.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the running controller's boards, queue and counts.")

    @OptionGroup var api: APIClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try api.client()
        let answer = try call { try client.get("/v1/status", as: ControllerStatus.self) }
        if output.json { try JSONOutput.print(answer); return }
        let status = answer.scheduler
        print("policy \(status.policy); \(status.queued) queued; submitted \(status.statistics.submitted), completed \(status.statistics.completed), failed \(status.statistics.failed), re-run \(status.statistics.rerun)")
        var table = TextTable("BOARD", "IN FLIGHT", "DONE", "BUSY S", "MODELS", "STATE")
        table.rows = status.boards.map { board in
            [board.serial, "\(board.inFlight)/\(board.maxInFlight)", "\(board.completed)", String(format: "%.3f", board.busySeconds),
             board.loadedModels.joined(separator: ", "), board.hot ? "hot: no new work" : "ok"]
        }
        print(table.render())
        if let sampling = answer.sampling {
            print("sampling: \(sampling.sensors) sensors, power \(SamplingStatus.hertz(sampling.powerHz)), temperature \(SamplingStatus.hertz(sampling.temperatureHz)); \(sampling.samples) samples")
        }
        if let ledger = (try? client.text("/metrics")).flatMap({ LedgerStatusLine.from(metrics: $0.text) }) { print(ledger) }
        if let upstream = answer.upstream { print(upstream.line()) }
    }
}
