import GRDB

/// Which ledger entries the broker has acknowledged: the ones the outbox took (from the first it
/// ever took to the last, `meta.ledger_first_seq` and `meta.ledger_seq`), less the ones still
/// waiting in it and every one from the first ever evicted (`meta.ledger_evicted_first_seq`): an
/// evicted entry was never acknowledged, and neither was anything before the first taken.
extension Outbox {
    static let ledgerFirstSeq = "ledger_first_seq"
    /// The meta key of the last ledger seq the outbox took (its publisher sets it with each batch).
    public static let ledgerLastSeq = "ledger_seq"
    static let ledgerEvictedFirstSeq = "ledger_evicted_first_seq"

    /// The seqs of the ledger entries all acknowledged by the broker (PUBACK), as one range from the
    /// first entry the outbox took; nil when none is.
    public func ledgerAcknowledged() async throws -> ClosedRange<Int64>? {
        try await database.read { db in
            guard let first = try OutboxMeta.get(db, Self.ledgerFirstSeq), let taken = try OutboxMeta.get(db, Self.ledgerLastSeq) else { return nil }
            var last = taken
            // A ledger message whose seq is not known (none is stored so): nothing can be said.
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE class = ? AND sequence IS NULL)", arguments: [MessageClass.ledger.rawValue]) == true { return nil }
            if let waiting = try Int64.fetchOne(db, sql: "SELECT MIN(sequence) FROM outbox WHERE class = ?", arguments: [MessageClass.ledger.rawValue]) {
                last = min(last, waiting - 1)
            }
            if let evicted = try OutboxMeta.get(db, Self.ledgerEvictedFirstSeq) { last = min(last, evicted - 1) }
            return last >= first ? first...last : nil
        }
    }

    /// Remembers the first ledger seq ever taken, in the caller's transaction.
    static func noteLedgerTaken(_ db: Database, _ messages: [Outgoing]) throws {
        guard let first = messages.lazy.filter({ $0.kind == .ledger }).compactMap(\.sequence).min(),
              try OutboxMeta.get(db, ledgerFirstSeq) == nil else { return }
        try OutboxMeta.set(db, ledgerFirstSeq, first)
    }

    /// Remembers the lowest ledger seq ever evicted (0 for one whose seq is not known), in the caller's transaction.
    static func noteLedgerEvicted(_ db: Database, _ sequences: [Int64]) throws {
        guard let lowest = sequences.min() else { return }
        if let earlier = try OutboxMeta.get(db, ledgerEvictedFirstSeq), earlier <= lowest { return }
        try OutboxMeta.set(db, ledgerEvictedFirstSeq, lowest)
    }
}
