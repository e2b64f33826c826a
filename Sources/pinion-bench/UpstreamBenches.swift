import ArgumentParser
import Foundation
import PinionBenchmarks
import PinionTestSupport

/// Signed ledger entries per second, persisted and published QoS 1 to a local mosquitto.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Signed ledger entries per second: fsync'd, in the outbox, published QoS 1 and acknowledged.")

    @Option(help: "Entries per run.") var entries = 20_000

    func run() async throws {
        guard MosquittoBroker.available() else { throw ValidationError("needs /usr/sbin/mosquitto (apt-get install mosquitto)") }
        let broker = try MosquittoBroker()
        print("ledger: \(entries) signed receipts each run: Ed25519 + hash chain, ledger file fsync'd, outbox (SQLite FULL), QoS 1 to mosquitto, deleted on PUBACK")
        var rates: [Int: Double] = [:]
        for batch in [1, 64, 512] {
            let run = try await LedgerThroughputRun(entries: batch == 1 ? min(entries, 5_000) : entries, batch: batch, brokerPort: broker.port)
            rates[batch] = run.perSecond
            print("  group commit of \(pad("\(batch)", 4)): \(run.entries) entries in \(fixed(run.seconds, 2)) s = \(Int(run.perSecond)) entries/s")
        }
        if let one = rates[1], let grouped = rates[512] {
            print("group commit speed-up (512 vs 1, same run): \(fixed(grouped / one, 2))x; goal >= 5000 entries/s")
        }
        broker.stop()
    }
}
