import Foundation
import GRDB
import PinionScheduler
import Testing

/// A gateway runs tasks for years; the journal keeps the finished ones for `keep_finished_hours`
/// and only those that need nothing more.
@Suite("Task journal retention")
struct TaskJournalRetentionTests {
    @Test func forgetsOnlyOldFinishedTasksThatNeedNothingMore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try TaskJournal(path: directory.appendingPathComponent("journal.sqlite").path)
        let now = Date().timeIntervalSince1970
        let ids = (0..<5).map { "old-receipted-\($0)" } + ["old-unreceipted", "recent-receipted", "failed", "queued"]
        _ = try await journal.submit(ids.map { InferenceTask(id: $0, model: "digits", input: [1, 2, 3], submittedAt: now - 20 * 86_400) })
        func result(finishedAt: Double) -> TaskResult { TaskResult(output: [7], board: "EMU-S-0001", computeMicroseconds: 10, finishedAt: finishedAt) }
        let old = now - 10 * 86_400
        _ = try await journal.complete((0..<5).map { ("old-receipted-\($0)", result(finishedAt: old)) }
                                       + [("old-unreceipted", result(finishedAt: old)), ("recent-receipted", result(finishedAt: now - 3600))])
        try await journal.markReceipted((0..<5).map { "old-receipted-\($0)" } + ["recent-receipted"])
        try await journal.fail("failed", reason: "deadline passed")

        // A week's retention, in batches of 2 (three transactions for five tasks).
        #expect(try await journal.forget(finishedBefore: now - 7 * 86_400, batch: 2) == 5)
        for id in ids {
            let kept = try await journal.record(id) != nil
            #expect(kept == !id.hasPrefix("old-receipted"), "\(id)")
        }
        // Everything finished before now (the failed task's time is when `fail` ran): the failed task and the recent receipted one go too;
        // the unreceipted one waits for its receipt, the queued one for a board.
        #expect(try await journal.forget(finishedBefore: Date().timeIntervalSince1970 + 1) == 2)
        #expect(try await journal.record("old-unreceipted")?.state == .done)
        #expect(try await journal.record("queued")?.state == .queued)
        #expect(try await journal.counts() == [.done: 1, .queued: 1])
        // A forgotten id is a new task if it comes again.
        let again = try await journal.submit([InferenceTask(id: "old-receipted-0", model: "digits", input: [4])])
        #expect(again == [.accepted])
    }

    /// Retention gives the space of the tasks it forgets back to the disk (incremental vacuum),
    /// rather than keeping the file at its largest for ever.
    @Test func forgettingShrinksTheFile() async throws {
        let directory = try TemporaryJournalDirectory()
        defer { directory.remove() }
        let path = directory.file("journal.sqlite")
        let journal = try TaskJournal(path: path)
        let old = Date().timeIntervalSince1970 - 30 * 86_400
        let ids = (0..<4_000).map { "t\($0)" }
        let input = [UInt8](repeating: 9, count: 2_048)
        _ = try await journal.submit(ids.map { InferenceTask(id: $0, model: "digits", input: input, submittedAt: old) })
        _ = try await journal.complete(ids.map { ($0, TaskResult(output: [1], board: "EMU-S-0001", computeMicroseconds: 1, finishedAt: old)) })
        try await journal.markReceipted(ids)
        _ = try await journal.submit([InferenceTask(id: "waiting", model: "digits", input: input)])
        // Everything written is in the database file itself, as after any checkpoint.
        try Self.checkpoint(path)
        let before = try Self.size(path)
        #expect(before > 8_000_000)

        #expect(try await journal.forget(finishedBefore: Date().timeIntervalSince1970, batch: 1_000) == 4_000)
        let after = try Self.size(path)
        #expect(after < before / 10, "the file was \(before) bytes and is \(after) after forgetting 4000 of its 4001 tasks")
        #expect(try TaskJournalCountsTests.pragma("freelist_count", of: path) == 0)
        #expect(try await journal.record("waiting")?.state == .queued)
        #expect(try await journal.counts() == [.queued: 1])
    }

    static func checkpoint(_ path: String) throws {
        try DatabaseQueue(path: path).writeWithoutTransaction { _ = try $0.checkpoint(.truncate) }
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
