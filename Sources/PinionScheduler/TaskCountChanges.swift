import GRDB

/// How one of the journal's write transactions changed the number of tasks per state, written to
/// the `task_count` table by that same transaction (`write(to:)` before it commits): one statement
/// per state changed, whatever the number of tasks, where per-row triggers ran one or two per task.
/// The counts stay exact across a crash because the changes commit or vanish with the tasks.
/// `TaskJournal` is the task table's only writer, so every change to a task's state passes here.
struct TaskCountChanges {
    private var changes: [TaskState: Int] = [:]

    /// `count` tasks entered `state` (negative: left it).
    mutating func add(_ count: Int, to state: TaskState) {
        guard count != 0 else { return }
        changes[state, default: 0] += count
    }

    /// `count` tasks went from one state to another.
    mutating func move(_ count: Int, from old: TaskState, to new: TaskState) {
        add(-count, to: old)
        add(count, to: new)
    }

    /// Adds the changes to `task_count`, in the caller's transaction.
    func write(to db: Database) throws {
        for (state, change) in changes where change != 0 {
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO task_count (state, n) VALUES (?, ?) ON CONFLICT (state) DO UPDATE SET n = n + excluded.n
                """)
            try upsert.execute(arguments: [state.rawValue, change])
        }
    }
}
