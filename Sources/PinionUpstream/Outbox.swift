import Foundation
import GRDB

/// Reports waiting to be published, in SQLite (WAL, synchronous=FULL: each one on disk before
/// `enqueue` returns): written first, published from here, deleted only when the broker has
/// acknowledged them (PUBACK). Survives kill -9 and broker outages; delivers in the order written.
public final class Outbox: Sendable {
    public struct Message: Sendable, Hashable {
        public var id: Int64
        public var topic: String
        public var payload: [UInt8]
        /// When it was stored.
        public var createdAt: Date

        public init(id: Int64, topic: String, payload: [UInt8], createdAt: Date) {
            self.id = id
            self.topic = topic
            self.payload = payload
            self.createdAt = createdAt
        }
    }

    let database: DatabasePool

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        database = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("topic", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("created_at", .double).notNull()
            }
        }
        migrator.registerMigration("v2: meta") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .integer).notNull()
            }
        }
        Self.registerIntakeMigration(&migrator)
        try migrator.migrate(database)
    }

    /// Stores messages and sets `meta[key] = value` in one transaction (e.g. the last ledger
    /// sequence number enqueued, so that a restart knows what is still to enqueue).
    @discardableResult
    public func enqueue(_ messages: [(topic: String, payload: [UInt8])], settingMeta key: String, to value: Int64) async throws -> [Int64] {
        try await database.write { db in
            let ids = try messages.map { message in
                try db.execute(sql: "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
                               arguments: [message.topic, Data(message.payload), Date().timeIntervalSince1970])
                return db.lastInsertedRowID
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
            return ids
        }
    }

    public func meta(_ key: String) async throws -> Int64? {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Stores messages (one transaction) and returns their ids.
    @discardableResult
    public func enqueue(_ messages: [(topic: String, payload: [UInt8])]) async throws -> [Int64] {
        try await database.write { db in
            try messages.map { message in
                try db.execute(sql: "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
                               arguments: [message.topic, Data(message.payload), Date().timeIntervalSince1970])
                return db.lastInsertedRowID
            }
        }
    }

    /// Up to `limit` messages after `afterID`, oldest first.
    public func next(after afterID: Int64, limit: Int) async throws -> [Message] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, topic, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?", arguments: [afterID, limit]).map {
                Message(id: $0["id"], topic: $0["topic"], payload: [UInt8]($0["payload"] as Data),
                        createdAt: Date(timeIntervalSince1970: $0["created_at"]))
            }
        }
    }

    /// Acknowledged: gone for good.
    public func delete(_ ids: [Int64]) async throws {
        try await database.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id]) }
        }
    }

    public func count() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }
}
