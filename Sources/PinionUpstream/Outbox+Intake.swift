import Foundation
import GRDB

/// Tasks that arrived over MQTT, kept with the outbox so that each is answered exactly once: the
/// answer is put in the outbox and the task marked answered in one transaction.
extension Outbox {
    /// A task received over MQTT and not answered yet.
    public struct PendingIntake: Sendable, Hashable {
        public var taskID: String
        public var replyTo: String
    }

    static func registerIntakeMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("intake") { db in
            try db.create(table: "intake") { t in
                t.primaryKey("task_id", .text)
                t.column("reply_to", .text).notNull()
                t.column("answered", .boolean).notNull().defaults(to: false)
                t.column("received_at", .double).notNull()
            }
        }
    }

    /// Remembers a task that arrived over MQTT; false when its id was already known (a
    /// redelivery or a duplicate: it is answered once, by the first).
    public func recordIntake(taskID: String, replyTo: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO intake (task_id, reply_to, received_at) VALUES (?, ?, ?)",
                           arguments: [taskID, replyTo, Date().timeIntervalSince1970])
            return db.changesCount == 1
        }
    }

    /// Queues `answer` for the task unless it was answered before; true when queued now.
    public func answerIntake(taskID: String, _ answer: (topic: String, payload: [UInt8])) async throws -> Bool {
        try await queueAnswer(taskID: taskID, answer, onlyIfUnanswered: true)
    }

    /// Queues `answer` for a task whose id came again (a redelivery, a requester's retry): its
    /// result once more, marking it answered. False when the task was never recorded.
    public func answerIntakeAgain(taskID: String, _ answer: (topic: String, payload: [UInt8])) async throws -> Bool {
        try await queueAnswer(taskID: taskID, answer, onlyIfUnanswered: false)
    }

    /// Marks the task answered and queues `answer` in one transaction; true when queued.
    private func queueAnswer(taskID: String, _ answer: (topic: String, payload: [UInt8]), onlyIfUnanswered: Bool) async throws -> Bool {
        let (queued, evictions) = try await database.write { db -> (Bool, [Eviction]) in
            try db.execute(sql: "UPDATE intake SET answered = 1 WHERE task_id = ?" + (onlyIfUnanswered ? " AND answered = 0" : ""), arguments: [taskID])
            guard db.changesCount == 1 else { return (false, []) }
            return (true, try self.insert(db, [Outgoing(topic: answer.topic, payload: answer.payload, kind: .answer)]).evictions)
        }
        report(evictions)
        return queued
    }

    /// Tasks received and not yet answered (after a restart: their answers are still owed).
    public func pendingIntake() async throws -> [PendingIntake] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT task_id, reply_to FROM intake WHERE answered = 0 ORDER BY received_at").map {
                PendingIntake(taskID: $0["task_id"], replyTo: $0["reply_to"])
            }
        }
    }
}
