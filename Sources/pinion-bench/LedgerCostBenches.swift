import ArgumentParser
import Foundation
import PinionBenchmarks
import PinionSystem

/// Durable signed appends per second by the ledger writer alone (no outbox, no broker).
struct LedgerAppendBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-append", abstract: "Durable signed ledger appends per second (the ledger writer alone: signed, chained, written, fsync'd).")

    @Option(help: "Entries per run.") var entries = 20_000
    @Option(help: "Records per append call (one write and one fsync each).") var batch = 512
    @Option(help: "Keep the ledger written at this path (it must not exist) instead of a temporary file.") var keep: String?

    func run() async throws {
        let path = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("pinion-ledger-append-\(UUID().uuidString).jsonl").path
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: path) } }
        let run = try await LedgerCostRun.append(path: path, entries: entries, batch: batch)
        print("ledger-append: \(entries) receipts, \(batch) per append (one fsync each): \(fixed(run.seconds, 2)) s = \(Int(Double(entries) / run.seconds)) entries/s; gateway \(run.gateway)")
    }
}

/// `pinion ledger verify`'s check against the plain Python verifier, on one ledger in one run.
struct LedgerVerifyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-verify", abstract: "Ledger entries verified per second: Pinion's verifier and scripts/verify-ledger.py on the same ledger.")

    @Option(help: "Entries in the ledger written for the run.") var entries = 50_000
    @Option(help: "Verify this ledger file instead of writing one (Pinion's verifier only, once: for callgrind).") var file: String?
    @Option(help: "The Python verifier to compare with.") var python = "scripts/verify-ledger.py"
    @Option(help: "Runs of each verifier (the best is reported with the spread).") var runs = 3

    func run() async throws {
        if let file {
            let checked = try LedgerCostRun.verify(path: file, gateway: nil)
            print("ledger-verify: \(checked.entries) entries in \(fixed(checked.seconds, 3)) s = \(Int(Double(checked.entries) / checked.seconds)) entries/s")
            return
        }
        guard FileManager.default.fileExists(atPath: python) else { throw ValidationError("no Python verifier at \(python) (run from the repository, or pass --python)") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-ledger-verify-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try await LedgerCostRun.append(path: path, entries: entries, batch: 512)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("ledger-verify: \(entries) receipts (\(bytes / 1_000_000) MB), each verifier \(runs) times, alternating")
        var swift: [Double] = [], script: [Double] = []
        for _ in 0..<runs {
            let checked = try LedgerCostRun.verify(path: path, gateway: written.gateway)
            guard checked.entries == entries else { throw ValidationError("Pinion's verifier checked \(checked.entries) entries, not \(entries)") }
            swift.append(Double(entries) / checked.seconds)
            script.append(Double(entries) / (try runPython(path: path, gateway: written.gateway)))
        }
        let spread = { (rates: [Double]) in "\(Int(rates.min()!))–\(Int(rates.max()!)) entries/s" }
        print("  pinion ledger verify (LedgerVerifier): \(spread(swift))")
        print("  \(python): \(spread(script))")
        print("Pinion / Python (median of each): \(fixed(median(swift) / median(script), 2))x; goal >= 3x")
    }

    private func runPython(path: String, gateway: String) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", python, path, "--gateway", gateway]
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let seconds = (ContinuousClock.now - start).inSeconds
        guard process.terminationStatus == 0 else { throw ValidationError("\(python) failed on the ledger (exit \(process.terminationStatus))") }
        return seconds
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
