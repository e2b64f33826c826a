import Foundation
import GRDB

/// The durable record of every accepted task, in SQLite (GRDB, WAL mode): a task is accepted
/// only once it is written, so it survives kill -9 and power loss; each task gets exactly one
/// result (`complete` records the first and refuses later ones); tasks not done when the
/// controller stops are queued again when it starts (`recover`). Which board runs a task is not
/// journaled until its result is: a task in flight when the process dies simply runs again.
public final class TaskJournal: Sendable {
    private let database: DatabasePool
    public let path: String

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit survives a process kill; fsync at checkpoints.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.useIncrementalVacuum(database)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "task") { t in
                t.primaryKey("id", .text)
                t.column("model", .text).notNull()
                t.column("input", .blob).notNull()
                t.column("priority", .integer).notNull()
                t.column("deadline", .double)
                t.column("submitted_at", .double).notNull()
                t.column("state", .text).notNull()
                t.column("board", .text)
                t.column("output", .blob)
                t.column("compute_us", .integer)
                t.column("finished_at", .double)
                t.column("error", .text)
            }
            try db.create(index: "task_state", on: "task", columns: ["state", "priority", "submitted_at"])
        }
        migrator.registerMigration("v2: receipts") { db in
            // Whether the task's compute receipt is in the signed ledger (the ledger's outbox).
            try db.alter(table: "task") { t in t.add(column: "receipted", .boolean).notNull().defaults(to: false) }
        }
        migrator.registerMigration("v3: finished index") { db in
            // Finished tasks are forgotten by age (`forget(finishedBefore:)`).
            try db.create(index: "task_finished", on: "task", columns: ["finished_at"])
        }
        migrator.registerMigration("v4: submitted index") { db in
            // `recent` (pinion tasks) reads the newest few without sorting a week of tasks.
            try db.create(index: "task_submitted", on: "task", columns: ["submitted_at", "id"])
        }
        migrator.registerMigration("v5: counts per state") { db in
            // `counts()` (pinion tasks) reads this table instead of counting a week of tasks. The
            // triggers keep it in the transaction of every change to the task table, so it cannot
            // differ from a full count, whatever statement changed a task and whenever the process died.
            try db.execute(sql: """
                CREATE TABLE task_count (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO task_count (state, n) SELECT state, COUNT(*) FROM task GROUP BY state;
                CREATE TRIGGER task_count_insert AFTER INSERT ON task BEGIN
                    INSERT INTO task_count (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER task_count_update AFTER UPDATE OF state ON task WHEN OLD.state IS NOT NEW.state BEGIN
                    UPDATE task_count SET n = n - 1 WHERE state = OLD.state;
                    INSERT INTO task_count (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER task_count_delete AFTER DELETE ON task BEGIN
                    UPDATE task_count SET n = n - 1 WHERE state = OLD.state;
                END;
                """)
        }
        migrator.registerMigration("v6: counts per transaction, queued index") { db in
            // The insert and state-change triggers ran one or two statements per task; the journal
            // now adds each transaction's changes to `task_count` itself (`TaskCountChanges`), in
            // that transaction. Deletes (retention, in batches) keep their trigger. A result no
            // longer moves its task within an index of all tasks by state: only queued tasks are
            // indexed by state (what `recover` reads), so a result just leaves that index.
            try db.execute(sql: """
                DROP TRIGGER task_count_insert;
                DROP TRIGGER task_count_update;
                DROP INDEX task_state;
                CREATE INDEX task_queued ON task (submitted_at, id) WHERE state = 'queued';
                """)
        }
        try migrator.migrate(database)
    }

    /// Makes the file one that gives freed pages back (`PRAGMA incremental_vacuum` after retention
    /// deletes). SQLite changes a file's auto-vacuum mode only by rewriting it with VACUUM once its
    /// first page is written, which opening it in WAL mode already did: a new journal is rewritten
    /// while still empty, a journal made before Pinion did this once when first opened (it needs
    /// free disk space for a copy of the journal, and takes about as long as copying it).
    private static func useIncrementalVacuum(_ database: DatabasePool) throws {
        try database.writeWithoutTransaction { db in
            let incremental = 2
            guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != incremental else { return }
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
        }
    }

    /// What `submit` did with each task.
    public enum Submission: Sendable, Hashable {
        case accepted
        /// A task with this id exists already; it is not changed.
        case duplicate(TaskState)
    }

    /// Records tasks (one transaction); ids already known are left as they are.
    public func submit(_ tasks: [InferenceTask]) async throws -> [Submission] {
        try await database.write { db in
            // Prepared once per connection. A known id inserts nothing; only then is its state looked up.
            let insert = try db.cachedStatement(sql: """
                INSERT INTO task (id, model, input, priority, deadline, submitted_at, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')
                ON CONFLICT (id) DO NOTHING
                """)
            var accepted = 0
            let submissions: [Submission] = try tasks.map { task in
                try insert.execute(arguments: [task.id, task.model, Data(task.input), task.priority, task.deadline, task.submittedAt])
                if db.changesCount == 1 {
                    accepted += 1
                    return .accepted
                }
                return .duplicate(try Self.state(of: task.id, in: db) ?? .queued)
            }
            var changes = TaskCountChanges()
            changes.add(accepted, to: .queued)
            try changes.write(to: db)
            return submissions
        }
    }

    /// Records results (one transaction); returns, per result, whether it was the task's first
    /// (a later one — a re-run after a board vanished that the first run beat — is refused).
    public func complete(_ results: [(id: String, result: TaskResult)]) async throws -> [Bool] {
        try await database.write { db in
            // Nearly every result is a queued task's: that is tried first; a task in another state
            // not done (a failed one, say) has its state read so that its count can go down.
            let update = try db.cachedStatement(sql: """
                UPDATE task SET state = 'done', board = ?, output = ?, compute_us = ?, finished_at = ?, error = NULL
                WHERE id = ? AND state = ?
                """)
            var changes = TaskCountChanges()
            let firsts: [Bool] = try results.map { id, result in
                func record(from state: TaskState) throws {
                    try update.execute(arguments: [result.board, Data(result.output), Int(result.computeMicroseconds), result.finishedAt,
                                                   id, state.rawValue])
                }
                try record(from: .queued)
                var old = TaskState.queued
                if db.changesCount == 0 {
                    guard let state = try Self.state(of: id, in: db), state != .done else { return false }
                    old = state
                    try record(from: state)
                }
                changes.move(1, from: old, to: .done)
                return true
            }
            try changes.write(to: db)
            return firsts
        }
    }

    /// Puts running tasks back in the queue (their board vanished).
    public func requeue(_ ids: [String]) async throws {
        try await database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE task SET state = 'queued', board = NULL WHERE id = ? AND state = 'running'")
            var changes = TaskCountChanges()
            for id in ids {
                try update.execute(arguments: [id])
                changes.move(db.changesCount, from: .running, to: .queued)
            }
            try changes.write(to: db)
        }
    }

    /// Records that a task cannot be run (its input does not fit its model, its deadline passed…).
    public func fail(_ id: String, reason: String) async throws {
        try await database.write { db in
            guard let old = try Self.state(of: id, in: db), old != .done else { return }
            try db.execute(sql: "UPDATE task SET state = 'failed', error = ?, finished_at = ? WHERE id = ?",
                           arguments: [reason, Date().timeIntervalSince1970, id])
            var changes = TaskCountChanges()
            changes.move(1, from: old, to: .failed)
            try changes.write(to: db)
        }
    }

    /// Every task not finished, oldest first; running ones are queued again first (after a
    /// restart nothing is running).
    public func recover() async throws -> [InferenceTask] {
        try await database.write { db in
            try db.execute(sql: "UPDATE task SET state = 'queued', board = NULL WHERE state = 'running'")
            var changes = TaskCountChanges()
            changes.move(db.changesCount, from: .running, to: .queued)
            try changes.write(to: db)
            return try Row.fetchAll(db, sql: "SELECT * FROM task WHERE state = 'queued' ORDER BY submitted_at, id").map(Self.task)
        }
    }

    /// Records that these tasks' receipts are in the ledger.
    public func markReceipted(_ ids: [String]) async throws {
        try await database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE task SET receipted = 1 WHERE id = ?")
            for id in ids { try update.execute(arguments: [id]) }
        }
    }

    /// Deletes tasks that finished before `cutoff` (Unix time) and need nothing more: done ones
    /// whose receipt is in the ledger, and failed ones. Queued, running and unreceipted tasks stay
    /// whatever their age. Deletes in batches of `batch`, one transaction each, so submissions
    /// are not held up; returns how many went. An id forgotten is a new task if it comes again.
    /// The pages they held are given back to the disk: each batch's transaction ends with an
    /// incremental vacuum, and a checkpoint at the end moves the shorter file out of the WAL.
    public func forget(finishedBefore cutoff: Double, batch: Int = 5_000) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.write { db in
                try db.execute(sql: """
                    DELETE FROM task WHERE rowid IN (SELECT rowid FROM task WHERE finished_at < ?
                        AND (state = 'failed' OR (state = 'done' AND receipted = 1)) LIMIT ?)
                    """, arguments: [cutoff, batch])
                let deleted = db.changesCount
                if deleted > 0 { try db.execute(sql: "PRAGMA incremental_vacuum") }
                return deleted
            }
            total += deleted
            if deleted < batch { break }
        }
        if total > 0 {
            // Passive: it never waits for readers; what it cannot copy now, a later checkpoint does.
            try await database.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        }
        return total
    }

    /// Done tasks whose receipts are not in the ledger yet (the process stopped first), oldest first.
    public func unreceipted(limit: Int = 100_000) async throws -> [TaskRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM task WHERE state = 'done' AND receipted = 0 ORDER BY finished_at, id LIMIT ?",
                             arguments: [limit]).map(Self.record)
        }
    }

    public func record(_ id: String) async throws -> TaskRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM task WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    /// Tasks per state (states without tasks are left out), from the counts the journal keeps
    /// with every change: as cheap with a million tasks as with ten.
    public func counts() async throws -> [TaskState: Int] {
        try await database.read { db in
            var counts: [TaskState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, n FROM task_count WHERE n != 0") {
                if let state = TaskState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// Tasks per state by counting the whole task table, as `counts()` did before the journal
    /// kept its counts: what `counts()` must always equal (`pinion-bench journal` times both).
    public func countsByScanning() async throws -> [TaskState: Int] {
        try await database.read { db in
            var counts: [TaskState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM task GROUP BY state") {
                if let state = TaskState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// The most recent tasks, newest first.
    public func recent(limit: Int) async throws -> [TaskRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM task ORDER BY submitted_at DESC, id DESC LIMIT ?", arguments: [limit]).map(Self.record)
        }
    }

    /// A task's state as journaled, nil if the id is unknown; in the caller's transaction.
    private static func state(of id: String, in db: Database) throws -> TaskState? {
        let lookup = try db.cachedStatement(sql: "SELECT state FROM task WHERE id = ?")
        return try String.fetchOne(lookup, arguments: [id]).flatMap(TaskState.init(rawValue:))
    }

    private static func task(_ row: Row) -> InferenceTask {
        InferenceTask(id: row["id"], model: row["model"], input: [UInt8]((row["input"] as Data?) ?? Data()), priority: row["priority"],
                      deadline: row["deadline"], submittedAt: row["submitted_at"])
    }

    private static func record(_ row: Row) -> TaskRecord {
        let state = TaskState(rawValue: row["state"]) ?? .queued
        var result: TaskResult?
        if state == .done, let output = row["output"] as Data? {
            result = TaskResult(output: [UInt8](output), board: row["board"] ?? "", computeMicroseconds: UInt32(row["compute_us"] as Int? ?? 0),
                                finishedAt: row["finished_at"] ?? 0)
        }
        return TaskRecord(task: task(row), state: state, result: result, error: row["error"])
    }
}
