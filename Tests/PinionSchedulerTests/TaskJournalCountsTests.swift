import Foundation
import GRDB
import PinionEmulator
import PinionScheduler
import Testing

/// `counts()` (what `pinion tasks` shows per state) reads a table the journal keeps in the same
/// transactions that change tasks; it must always equal a full count of the task table, through
/// every kind of change, a reopening and a copy of the files taken as kill -9 would leave them.
@Suite("Task journal counts per state")
struct TaskJournalCountsTests {
    /// The tasks per state by a full scan of the task table, through a connection of its own.
    static func scanned(_ path: String) throws -> [TaskState: Int] {
        try DatabaseQueue(path: path).read { db in
            var counts: [TaskState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM task GROUP BY state") {
                counts[TaskState(rawValue: row["state"]) ?? .queued, default: 0] += row["n"] as Int
            }
            return counts
        }
    }

    @Test func countsEqualAFullCountThroughARandomMixReopeningAndACrashCopy() async throws {
        let directory = try TemporaryJournalDirectory()
        defer { directory.remove() }
        let path = directory.file("journal.sqlite")
        var random = SplitMix64(seed: 17)
        var journal = try TaskJournal(path: path)
        var known: [String] = []
        let now = Date().timeIntervalSince1970
        func someKnown(_ count: Int) -> [String] {
            known.isEmpty ? [] : (0..<count).map { _ in known[Int.random(in: 0..<known.count, using: &random)] }
        }
        for round in 0..<60 {
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1:
                let fresh = (0..<Int.random(in: 1...60, using: &random)).map { "t\(known.count + $0)" }
                known += fresh
                let ids = fresh + someKnown(3)  // the known ones are duplicates, changed in nothing
                _ = try await journal.submit(ids.map { InferenceTask(id: $0, model: "digits", input: [1, 2], submittedAt: now - 9 * 86_400) })
            case 2, 3:
                let ids = someKnown(Int.random(in: 1...40, using: &random)) + ["unknown-\(round)"]
                _ = try await journal.complete(ids.map { id in
                    (id: id, result: TaskResult(output: [3], board: "EMU-S-0001", computeMicroseconds: 5,
                                                finishedAt: now - Double.random(in: 0...(8 * 86_400), using: &random)))
                })
            case 4:
                for id in someKnown(Int.random(in: 1...10, using: &random)) { try await journal.fail(id, reason: "deadline passed") }
            case 5:
                try await journal.markReceipted(someKnown(Int.random(in: 1...60, using: &random)))
                try await journal.requeue(someKnown(3))
            case 6:
                _ = try await journal.forget(finishedBefore: now - Double.random(in: 0...(8 * 86_400), using: &random),
                                             batch: Int.random(in: 1...20, using: &random))
            default:
                journal = try TaskJournal(path: path)
                _ = try await journal.recover()
            }
            let counts = try await journal.counts()
            #expect(counts == (try Self.scanned(path)), "round \(round)")
        }
        let counts = try await journal.counts()
        #expect(counts.values.reduce(0, +) > 0 && counts.count >= 2, "the mix left tasks in more than one state: \(counts)")

        // The files as kill -9 leaves them: the database and its write-ahead log, copied while open.
        let copy = directory.file("copy.sqlite")
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
        }
        let recovered = try TaskJournal(path: copy)
        #expect(try await recovered.counts() == counts)
        #expect(try await recovered.counts() == (try Self.scanned(copy)))
    }

    /// Each transaction that changes tasks writes its change of the counts itself, not a later
    /// one: the files copied between two transactions of a run, as kill -9 leaves them, hold counts
    /// equal to a full count, through duplicates, results for queued and failed tasks, a second
    /// result for a task and a failure of a done task.
    @Test func theFilesAsACrashMidRunLeavesThemHoldExactCounts() async throws {
        let directory = try TemporaryJournalDirectory()
        defer { directory.remove() }
        let path = directory.file("journal.sqlite")
        let journal = try TaskJournal(path: path)
        func result(_ id: String) -> (id: String, result: TaskResult) {
            (id: id, result: TaskResult(output: [3], board: "EMU-S-0001", computeMicroseconds: 5, finishedAt: 1))
        }
        for batch in 1...4 {
            let ids = (0..<50).map { "b\(batch)-\($0)" }
            _ = try await journal.submit(ids.map { InferenceTask(id: $0, model: "digits", input: [1]) })
            #expect(try await journal.submit([InferenceTask(id: ids[0], model: "digits", input: [1])]) == [.duplicate(.queued)])
            try await journal.fail(ids[1], reason: "deadline passed")
            let firsts = try await journal.complete(ids.prefix(30).map(result) + [result(ids[2]), result("unknown")])
            #expect(firsts == [Bool](repeating: true, count: 30) + [false, false])
            try await journal.fail(ids[40], reason: "deadline passed")
            try await journal.fail(ids[3], reason: "too late: it is done")

            let copy = directory.file("crash-\(batch).sqlite")
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
            }
            let expected: [TaskState: Int] = [.queued: 19 * batch, .done: 30 * batch, .failed: batch]
            #expect(try Self.scanned(copy) == expected, "batch \(batch)")
            #expect(try await TaskJournal(path: copy).counts() == expected, "batch \(batch)")
        }
    }

    /// A journal written before the counts table existed (schema v1–v4, no auto-vacuum) gets its
    /// counts from its tasks when it is opened, and is turned into an incrementally vacuumed file.
    @Test func anOlderJournalGetsItsCountsAndIncrementalVacuumWhenOpened() async throws {
        let directory = try TemporaryJournalDirectory()
        defer { directory.remove() }
        let path = directory.file("old.sqlite")
        try Self.writeVersion4Journal(at: path, states: ["queued", "queued", "done", "done", "done", "failed"])
        #expect(try Self.pragma("auto_vacuum", of: path) == 0)

        let journal = try TaskJournal(path: path)
        #expect(try await journal.counts() == [.queued: 2, .done: 3, .failed: 1])
        #expect(try Self.pragma("auto_vacuum", of: path) == 2, "2 is INCREMENTAL")
        #expect(try await journal.record("t2")?.state == .done)
        _ = try await journal.submit([InferenceTask(id: "new", model: "digits", input: [1])])
        #expect(try await journal.counts() == [.queued: 3, .done: 3, .failed: 1])
        #expect(try await journal.counts() == (try Self.scanned(path)))
        let triggers = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") }
        #expect(triggers == ["task_count_delete"], "the journal counts inserts and state changes itself")
    }

    /// One PRAGMA's value, read through a connection of its own.
    static func pragma(_ name: String, of path: String) throws -> Int? {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA \(name)") }
    }

    @Test func aNewJournalIsIncrementallyVacuumed() throws {
        let directory = try TemporaryJournalDirectory()
        defer { directory.remove() }
        let path = directory.file("new.sqlite")
        _ = try TaskJournal(path: path)
        #expect(try Self.pragma("auto_vacuum", of: path) == 2)
    }

    /// The schema of the journal as migrations v1–v4 left it, with one task per state given.
    static func writeVersion4Journal(at path: String, states: [String]) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1'), ('v2: receipts'), ('v3: finished index'), ('v4: submitted index');
                CREATE TABLE task (id TEXT PRIMARY KEY, model TEXT NOT NULL, input BLOB NOT NULL, priority INTEGER NOT NULL,
                    deadline DOUBLE, submitted_at DOUBLE NOT NULL, state TEXT NOT NULL, board TEXT, output BLOB, compute_us INTEGER,
                    finished_at DOUBLE, error TEXT, receipted BOOLEAN NOT NULL DEFAULT 0);
                CREATE INDEX task_state ON task (state, priority, submitted_at);
                CREATE INDEX task_finished ON task (finished_at);
                CREATE INDEX task_submitted ON task (submitted_at, id);
                """)
            for (index, state) in states.enumerated() {
                try db.execute(sql: """
                    INSERT INTO task (id, model, input, priority, submitted_at, state, output, finished_at)
                    VALUES (?, 'digits', x'01', 0, 1, ?, CASE WHEN ? = 'done' THEN x'07' END, CASE WHEN ? = 'queued' THEN NULL ELSE 2 END)
                    """, arguments: ["t\(index)", state, state, state])
            }
        }
    }
}

/// A directory of its own for a test's journal files, removed at the end.
struct TemporaryJournalDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
