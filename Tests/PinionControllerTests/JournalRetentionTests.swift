import Foundation
import PinionController
import PinionScheduler
import PinionTestSupport
import Synchronization
import Testing

@Suite("Journal retention in the controller")
struct JournalRetentionTests {
    /// `pinion run` forgets at start what is older than keep_finished_hours, and says so.
    @Test func forgetsAtStartAndSaysHowMany() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try TaskJournal(path: directory.appendingPathComponent("journal.sqlite").path)
        let now = Date().timeIntervalSince1970
        _ = try await journal.submit([InferenceTask(id: "old", model: "digits", input: [1]), InferenceTask(id: "new", model: "digits", input: [1])])
        _ = try await journal.complete([("old", TaskResult(output: [1], board: "B", computeMicroseconds: 1, finishedAt: now - 50 * 3600)),
                                        ("new", TaskResult(output: [1], board: "B", computeMicroseconds: 1, finishedAt: now - 3600))])
        try await journal.markReceipted(["old", "new"])
        let lines = Mutex<[String]>([])
        let run = Task { await JournalRetention.run(journal: journal, keepHours: 24, every: .seconds(3600)) { line in lines.withLock { $0.append(line) } } }
        _ = await eventually { lines.withLock { !$0.isEmpty } }
        run.cancel()
        #expect(lines.withLock { $0 } == ["journal: forgot 1 finished tasks older than 24 h"])
        #expect(try await journal.record("old") == nil)
        #expect(try await journal.record("new") != nil)
    }
}
