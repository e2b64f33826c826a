import Foundation
import GRDB
import Synchronization

/// Reports waiting to be published, in SQLite (WAL, synchronous=FULL: each one on disk before
/// `enqueue` returns): written first, published from here, deleted only when the broker has
/// acknowledged them (PUBACK). Survives kill -9 and broker outages; delivers in the order written.
///
/// Bounded by `Limits`: past the size limit (on enqueue; down to 98 % of it, so that evictions
/// come in batches) or the age limit (`evictExpired`), the oldest messages are evicted, telemetry
/// before ledger entries, never one claimed for sending.
/// Every eviction is counted in `meta` (persisted), handed to `onEviction`, and reported upstream
/// by a notice enqueued on `Limits.noticeTopic`. Thread-safe.
public final class Outbox: Sendable {
    /// What a message is, which decides what is evicted first.
    public enum MessageClass: String, Sendable, Codable, CaseIterable {
        /// Measurements: evicted first.
        case telemetry
        /// Signed ledger entries (also in the ledger file): evicted only when no telemetry is left.
        case ledger
        /// Eviction notices: never evicted; at most one waiting per class and reason (a later
        /// eviction is merged into it until it is sent).
        case notice
        /// Answers to tasks taken over MQTT: never evicted (each is owed once, and there are no
        /// more of them than tasks taken).
        case answer
    }

    /// A stored message.
    public struct Message: Sendable, Hashable {
        public var id: Int64
        public var topic: String
        public var payload: [UInt8]
        public var kind: MessageClass
        /// The ledger entry's seq, for ledger entries.
        public var sequence: Int64?
        /// When it was stored.
        public var createdAt: Date

        public init(id: Int64, topic: String, payload: [UInt8], kind: MessageClass = .telemetry, sequence: Int64? = nil, createdAt: Date) {
            self.id = id
            self.topic = topic
            self.payload = payload
            self.kind = kind
            self.sequence = sequence
            self.createdAt = createdAt
        }
    }

    /// A message to store.
    public struct Outgoing: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
        public var kind: MessageClass
        public var sequence: Int64?

        public init(topic: String, payload: [UInt8], kind: MessageClass = .telemetry, sequence: Int64? = nil) {
            self.topic = topic
            self.payload = payload
            self.kind = kind
            self.sequence = sequence
        }
    }

    /// How much the outbox may hold while the broker is out of reach.
    public struct Limits: Sendable, Hashable {
        /// Payload bytes stored, at most (the eviction notices waiting and the messages in flight
        /// may pass it by a little).
        public var maxBytes: Int64
        /// Messages older than this are evicted by `evictExpired`.
        public var maxAgeSeconds: Double
        /// Where eviction notices go (`<prefix>/<gateway>/outbox/evicted`); nil: counted and logged only.
        public var noticeTopic: String?

        public static let defaultMaxBytes: Int64 = 256 << 20
        public static let defaultMaxAgeSeconds: Double = 30 * 86_400

        public init(maxBytes: Int64 = defaultMaxBytes, maxAgeSeconds: Double = defaultMaxAgeSeconds, noticeTopic: String? = nil) {
            self.maxBytes = maxBytes
            self.maxAgeSeconds = maxAgeSeconds
            self.noticeTopic = noticeTopic
        }
    }

    let database: DatabasePool
    public let limits: Limits
    /// Ids handed out by `claim` and not yet deleted or released: on the wire, so not evictable.
    let claimed = Mutex<Set<Int64>>([])
    private let evictionHandler = Mutex<(@Sendable (Eviction) -> Void)?>(nil)

    public init(path: String, limits: Limits = Limits()) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        database = try DatabasePool(path: path, configuration: configuration)
        self.limits = limits
        try OutboxSchema.migrator().migrate(database)
    }

    /// Called (on the enqueuing task) with every eviction, once its transaction is committed.
    public func onEviction(_ handler: @escaping @Sendable (Eviction) -> Void) {
        evictionHandler.withLock { $0 = handler }
    }

    /// Stores messages, and sets `meta[key] = value` when given (e.g. the last ledger seq
    /// enqueued, so that a restart knows what is still to enqueue), in one transaction; evicts
    /// (same transaction) if the size limit is passed. Returns the new messages' ids.
    @discardableResult
    public func enqueue(_ messages: [Outgoing], settingMeta meta: (key: String, value: Int64)? = nil) async throws -> [Int64] {
        let (ids, evictions) = try await database.write { db in
            let stored = try self.insert(db, messages)
            if let meta { try OutboxMeta.set(db, meta.key, meta.value) }
            return stored
        }
        report(evictions)
        return ids
    }

    /// Inserts `messages` in the caller's transaction and evicts if the size limit is passed;
    /// the caller reports the evictions once the transaction is committed.
    func insert(_ db: Database, _ messages: [Outgoing]) throws -> (ids: [Int64], evictions: [Eviction]) {
        let now = Date()
        var added: Int64 = 0
        let ids = try messages.map { message in
            try db.execute(sql: "INSERT INTO outbox (topic, payload, created_at, class, size, sequence) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [message.topic, Data(message.payload), now.timeIntervalSince1970, message.kind.rawValue,
                                       message.payload.count, message.sequence])
            added += Int64(message.payload.count)
            return db.lastInsertedRowID
        }
        try OutboxMeta.add(db, OutboxMeta.storedBytes, added)
        try Self.noteLedgerTaken(db, messages)
        let stored = try OutboxMeta.get(db, OutboxMeta.storedBytes) ?? 0
        return (ids, stored > limits.maxBytes ? try evictForSize(db, stored: stored, now: now) : [])
    }

    /// Stores telemetry messages (one transaction) and returns their ids.
    @discardableResult
    public func enqueue(_ messages: [(topic: String, payload: [UInt8])]) async throws -> [Int64] {
        try await enqueue(messages.map { Outgoing(topic: $0.topic, payload: $0.payload) })
    }

    /// Sets `meta[key] = value` now, on the calling thread (durable when it returns): for a value
    /// that must be on disk before the caller goes on, from a thread that cannot await (Sparkplug's
    /// next bdSeq, written on the MQTT thread before the CONNECT that carries it).
    public func setMetaNow(_ key: String, _ value: Int64) throws {
        try database.write { db in try OutboxMeta.set(db, key, value) }
    }

    public func meta(_ key: String) async throws -> Int64? {
        try await database.read { db in try OutboxMeta.get(db, key) }
    }

    /// Which of the outbox's messages a publisher sends: all, or those whose topic does or does
    /// not start with a prefix (Sparkplug's `spBv1.0/` go on a connection of their own).
    public enum Lane: Sendable {
        case all
        /// Topics starting with this prefix.
        case only(String)
        /// Topics not starting with this prefix.
        case except(String)

        var condition: (sql: String, arguments: StatementArguments) {
            switch self {
            case .all: ("", [])
            case .only(let prefix): (" AND substr(topic, 1, ?) = ?", [prefix.utf8.count, prefix])
            case .except(let prefix): (" AND substr(topic, 1, ?) <> ?", [prefix.utf8.count, prefix])
            }
        }
    }

    /// Up to `limit` messages of `lane` after `afterID`, oldest first, claimed for sending: eviction
    /// leaves them alone until they are deleted (acknowledged) or released.
    public func claim(after afterID: Int64, limit: Int, lane: Lane = .all) async throws -> [Message] {
        try await database.write { db in
            let condition = lane.condition
            let messages = try Row.fetchAll(db, sql: "SELECT id, topic, payload, class, sequence, created_at FROM outbox WHERE id > ?\(condition.sql) ORDER BY id LIMIT ?",
                                            arguments: StatementArguments([afterID]) + condition.arguments + StatementArguments([limit])).map(Self.message)
            self.claimed.withLock { $0.formUnion(messages.map(\.id)) }
            return messages
        }
    }

    /// Claimed messages that will not be sent as claimed (a new connection sends them again from
    /// the oldest): evictable again. Ids in `keeping` stay claimed.
    public func release(_ ids: some Sequence<Int64>) {
        claimed.withLock { $0.subtract(ids) }
    }

    /// Acknowledged: gone for good.
    public func delete(_ ids: [Int64]) async throws {
        try await database.write { db in
            var freed: Int64 = 0
            for id in ids {
                guard let size = try Int64.fetchOne(db, sql: "SELECT size FROM outbox WHERE id = ?", arguments: [id]) else { continue }
                try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id])
                freed += size
            }
            try OutboxMeta.add(db, OutboxMeta.storedBytes, -freed)
        }
        release(ids)
    }

    public func count() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }

    /// Payload bytes stored.
    public func storedBytes() async throws -> Int64 {
        try await database.read { db in try OutboxMeta.get(db, OutboxMeta.storedBytes) ?? 0 }
    }

    /// Every message stored, oldest first (for tests and inspection; the publisher uses `claim`).
    public func all() async throws -> [Message] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, topic, payload, class, sequence, created_at FROM outbox ORDER BY id").map(Self.message)
        }
    }

    func report(_ evictions: [Eviction]) {
        guard !evictions.isEmpty, let handler = evictionHandler.withLock({ $0 }) else { return }
        for eviction in evictions { handler(eviction) }
    }

    private static func message(_ row: Row) -> Message {
        Message(id: row["id"], topic: row["topic"], payload: [UInt8](row["payload"] as Data),
                kind: MessageClass(rawValue: row["class"] as String) ?? .telemetry, sequence: row["sequence"],
                createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }
}
