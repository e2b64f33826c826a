import ArgumentParser
import Foundation
import PinionBenchmarks

/// `pinion-bench journal`: how long `pinion tasks` (`GET /v1/tasks`) takes on a journal of a
/// million tasks, and how much of the file journal retention gives back (see `JournalListingRun`).
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Time the task listing (pinion tasks) on a large journal, then forget its older half as retention does and measure the file.")

    @Option(help: "Tasks in the journal.") var tasks = 1_000_000
    @Option(help: "Listing calls to time.") var calls = 11
    @Option(help: "Tasks each listing returns (pinion tasks' default is 20).") var limit = 20
    @Option(help: "Directory for the journal file (removed afterwards).") var directory = NSTemporaryDirectory()

    func run() async throws {
        guard tasks > 0, calls > 0, limit > 0 else { throw ValidationError("--tasks, --calls and --limit must be positive") }
        let run = try await JournalListingRun(tasks: tasks, calls: calls, limit: limit, directory: directory)
        let counts = run.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("journal: \(run.tasks) tasks written through TaskJournal in \(fixed(run.buildSeconds, 1)) s (\(counts))")
        print("journal: task listing (GET /v1/tasks, pinion tasks, limit \(limit)): median \(fixed(run.medianMilliseconds, 2)) ms of \(calls) calls "
              + "[\(run.listingMilliseconds.map { fixed($0, 2) }.joined(separator: " "))] (goal <= 30 ms)")
        print("journal: the same with counts by a full count of the task table (before the journal kept them): median "
              + "\(fixed(run.scanningMedianMilliseconds, 2)) ms [\(run.scanningListingMilliseconds.map { fixed($0, 2) }.joined(separator: " "))]; "
              + "kept counts \(run.countsAgree ? "equal" : "DIFFER FROM") the full count")
        print("journal: retention forgot \(run.forgotten) tasks in \(fixed(run.forgetSeconds, 1)) s; database file \(mebibytes(run.bytesBefore.file)) -> "
              + "\(mebibytes(run.bytesAfter.file)), WAL \(mebibytes(run.bytesBefore.wal)) -> \(mebibytes(run.bytesAfter.wal))")
    }

    private func mebibytes(_ bytes: Int64) -> String { fixed(Double(bytes) / 1_048_576, 1) + " MiB" }
}
