import Foundation
import GRDB

extension Outbox.MessageClass {
    /// Evicted in this order: telemetry first; ledger entries are also in the signed ledger file
    /// and can be sent again from there.
    static let evictionOrder: [Self] = [.telemetry, .ledger]
}

extension Outbox.MessageClass: CodingKeyRepresentable {}

extension Eviction: CustomStringConvertible {}

/// The eviction policy: oldest first, every telemetry message before any ledger entry; messages
/// claimed for sending are skipped. Each eviction runs in one transaction with its counts and notice.
extension Outbox {
    /// A row considered for eviction (no payload read).
    private struct Candidate {
        var id: Int64
        var size: Int64
        var createdAt: Double
        var sequence: Int64?

        init(_ row: Row) {
            id = row["id"]
            size = row["size"]
            createdAt = row["created_at"]
            sequence = row["sequence"]
        }
    }

    /// Evicts what has been waiting longer than `limits.maxAgeSeconds` at `now`.
    @discardableResult
    public func evictExpired(now: Date = Date()) async throws -> [Eviction] {
        let evictions = try await database.write { db in
            let cutoff = now.timeIntervalSince1970 - self.limits.maxAgeSeconds
            let claimed = self.claimed.withLock { $0 }
            let chosen = try MessageClass.evictionOrder.map { kind in
                (kind, try Row.fetchAll(db, sql: "SELECT id, size, created_at, sequence FROM outbox WHERE class = ? AND created_at < ? ORDER BY id",
                                        arguments: [kind.rawValue, cutoff]).map(Candidate.init).filter { !claimed.contains($0.id) })
            }
            return try self.evict(db, chosen, reason: .age, limit: self.limits.maxAgeSeconds, now: now)
        }
        report(evictions)
        return evictions
    }

    /// Runs `evictExpired` now and then every `interval` until cancelled; failures go to `onError`.
    public func expire(every interval: Duration, onError: @escaping @Sendable (any Error) -> Void) async {
        repeat {
            do { try await evictExpired() } catch { onError(error) }
        } while (try? await Task.sleep(for: interval)) != nil
    }

    /// Evictions per evictable class so far (persisted), every one present.
    public func evictions() async throws -> [MessageClass: EvictionCount] {
        try await database.read { db in try Self.evictionTotals(db) }
    }

    /// Evicts the oldest messages, class by class in eviction order, until `stored` is down to
    /// 98 % of the limit (so that a full outbox evicts in batches, not on every enqueue).
    func evictForSize(_ db: Database, stored: Int64, now: Date) throws -> [Eviction] {
        var excess = stored - (limits.maxBytes - limits.maxBytes / 50)
        let claimed = self.claimed.withLock { $0 }
        var chosen: [(MessageClass, [Candidate])] = []
        for kind in MessageClass.evictionOrder where excess > 0 {
            var picked: [Candidate] = []
            var after: Int64 = 0
            pages: while excess > 0 {
                let page = try Row.fetchAll(db, sql: "SELECT id, size, created_at, sequence FROM outbox WHERE class = ? AND id > ? ORDER BY id LIMIT 256",
                                            arguments: [kind.rawValue, after]).map(Candidate.init)
                guard let last = page.last else { break }
                after = last.id
                for candidate in page where !claimed.contains(candidate.id) {
                    picked.append(candidate)
                    excess -= candidate.size
                    if excess <= 0 { break pages }
                }
            }
            chosen.append((kind, picked))
        }
        return try evict(db, chosen, reason: .size, limit: Double(limits.maxBytes), now: now)
    }

    /// Deletes the chosen rows, counts them, and enqueues a notice per class evicted (or merges it
    /// into the one waiting).
    private func evict(_ db: Database, _ chosen: [(MessageClass, [Candidate])], reason: Eviction.Reason, limit: Double, now: Date) throws -> [Eviction] {
        var evictions: [Eviction] = []
        for (kind, candidates) in chosen where !candidates.isEmpty {
            for candidate in candidates { try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [candidate.id]) }
            let bytes = candidates.reduce(0) { $0 + $1.size }
            if kind == .ledger { try Self.noteLedgerEvicted(db, candidates.map { $0.sequence ?? 0 }) }
            try OutboxMeta.add(db, OutboxMeta.storedBytes, -bytes)
            try OutboxMeta.add(db, OutboxMeta.evicted(kind), Int64(candidates.count))
            try OutboxMeta.add(db, OutboxMeta.evictedBytes(kind), bytes)
            let times = candidates.map(\.createdAt)
            evictions.append(Eviction(reason: reason, kind: kind, count: candidates.count, bytes: bytes,
                                      firstID: candidates[0].id, lastID: candidates[candidates.count - 1].id,
                                      oldest: Date(timeIntervalSince1970: times.min() ?? 0), newest: Date(timeIntervalSince1970: times.max() ?? 0),
                                      sequences: Eviction.runs(candidates.compactMap(\.sequence)), limit: limit, totals: [:], time: now))
        }
        guard !evictions.isEmpty else { return [] }
        let totals = try Self.evictionTotals(db)
        for index in evictions.indices { evictions[index].totals = totals }
        if let topic = limits.noticeTopic {
            for eviction in evictions { try enqueueNotice(db, eviction.notice, topic: topic, now: now) }
        }
        return evictions
    }

    /// Merges `notice` into the waiting notice of its class and reason (one not claimed for
    /// sending), or stores it as a new message.
    private func enqueueNotice(_ db: Database, _ notice: EvictionNotice, topic: String, now: Date) throws {
        let claimed = self.claimed.withLock { $0 }
        let waiting = try Row.fetchAll(db, sql: "SELECT id, payload, size FROM outbox WHERE class = ? AND topic = ? ORDER BY id",
                                       arguments: [MessageClass.notice.rawValue, topic])
        for row in waiting where !claimed.contains(row["id"]) {
            guard let earlier = try? EvictionNotice(json: [UInt8](row["payload"] as Data)), earlier.matches(notice) else { continue }
            let payload = earlier.merged(with: notice).json
            try db.execute(sql: "UPDATE outbox SET payload = ?, size = ? WHERE id = ?", arguments: [Data(payload), payload.count, row["id"] as Int64])
            try OutboxMeta.add(db, OutboxMeta.storedBytes, Int64(payload.count) - (row["size"] as Int64))
            return
        }
        let payload = notice.json
        try db.execute(sql: "INSERT INTO outbox (topic, payload, created_at, class, size) VALUES (?, ?, ?, ?, ?)",
                       arguments: [topic, Data(payload), now.timeIntervalSince1970, MessageClass.notice.rawValue, payload.count])
        try OutboxMeta.add(db, OutboxMeta.storedBytes, Int64(payload.count))
    }

    private static func evictionTotals(_ db: Database) throws -> [MessageClass: EvictionCount] {
        var totals: [MessageClass: EvictionCount] = [:]
        for kind in MessageClass.evictionOrder {
            totals[kind] = EvictionCount(messages: try OutboxMeta.get(db, OutboxMeta.evicted(kind)) ?? 0,
                                         bytes: try OutboxMeta.get(db, OutboxMeta.evictedBytes(kind)) ?? 0)
        }
        return totals
    }
}
