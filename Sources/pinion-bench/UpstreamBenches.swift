import ArgumentParser
import Foundation
import PinionBenchmarks
import PinionTestSupport
import PinionUSB

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

/// The daemon's footprint at rest: `pinion run --simulate` as a process, memory and CPU over a window.
struct IdleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "pinion run --simulate at rest: RSS, PSS, private and anonymous memory, and CPU over a window.")

    @Option(help: "The pinion executable.") var pinion = ".build/release/pinion"
    @Option(help: "Seconds to let it settle, then seconds to measure.") var settle = 10.0
    @Option var measure = 30.0

    func run() async throws {
        // First: the peak RSS of waited-for children covers every child so far.
        let baseline = try IdleRun.versionRSSMiB(executable: pinion)
        for (label, sampling) in [("sensors sampled at 100 Hz (the simulated gateway's config)", nil as Double?),
                                  ("sensors sampled at 10 Hz", 10), ("no sensor sampling", 0)] {
            let figures = try await IdleRun(executable: pinion, powerHertz: sampling, settleSeconds: settle, measureSeconds: measure)
            print("idle, \(label): RSS \(figures.rssMiB) MiB, PSS \(figures.pssMiB) MiB, private \(figures.privateMiB) MiB, anonymous \(figures.anonymousMiB) MiB; "
                  + "CPU \(percent(figures.cpuFraction)) of one core over \(Int(measure)) s, \(figures.threads) threads")
        }
        print("baseline: `pinion version` alone peaks at \(baseline) MiB RSS (the Swift runtime, Foundation and libraries, mostly shared pages)")
        print("the process includes the emulated gateway (7 boards, 4 linked, their NPU firmware and I2C chips); goals: RSS <= 20 MB, CPU <= 1 %")
    }
}
