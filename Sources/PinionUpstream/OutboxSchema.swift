import GRDB

/// The outbox's tables, as migrations: `outbox` (one row per message) and `meta` (integers by
/// name: the last ledger seq taken, the bytes stored, the evictions per class).
enum OutboxSchema {
    static func migrator() -> DatabaseMigrator {
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
        // Bounds: each message's class (what is evicted first), size and ledger seq; the bytes
        // stored kept in meta so that enqueue need not add them up.
        migrator.registerMigration("v3: class, size, sequence") { db in
            try db.alter(table: "outbox") { t in
                t.add(column: "class", .text).notNull().defaults(to: Outbox.MessageClass.telemetry.rawValue)
                t.add(column: "size", .integer).notNull().defaults(to: 0)
                t.add(column: "sequence", .integer)
            }
            // Rows from before: ledger entries are the ones on a .../ledger topic; their seq is in
            // the signed payload the stored line carries.
            try db.execute(sql: """
                UPDATE outbox SET size = length(payload),
                    class = CASE WHEN topic LIKE '%/ledger' THEN 'ledger' ELSE 'telemetry' END
                """)
            try db.execute(sql: """
                UPDATE outbox SET sequence = json_extract(json_extract(CAST(payload AS TEXT), '$.payload'), '$.seq')
                WHERE class = 'ledger' AND json_valid(CAST(payload AS TEXT))
                    AND json_valid(json_extract(CAST(payload AS TEXT), '$.payload'))
                """)
            try db.create(index: "outbox_class_id", on: "outbox", columns: ["class", "id"])
            try db.create(index: "outbox_created_at", on: "outbox", columns: ["created_at"])
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, (SELECT COALESCE(SUM(size), 0) FROM outbox))",
                           arguments: [OutboxMeta.storedBytes])
        }
        Outbox.registerIntakeMigration(&migrator)
        return migrator
    }
}

/// Names of the outbox's own `meta` rows.
enum OutboxMeta {
    static let storedBytes = "stored_bytes"

    static func evicted(_ kind: Outbox.MessageClass) -> String { "evicted_\(kind.rawValue)" }
    static func evictedBytes(_ kind: Outbox.MessageClass) -> String { "evicted_bytes_\(kind.rawValue)" }

    static func get(_ db: Database, _ key: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    static func set(_ db: Database, _ key: String, _ value: Int64) throws {
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [key, value])
    }

    static func add(_ db: Database, _ key: String, _ delta: Int64) throws {
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                       arguments: [key, delta])
    }
}
