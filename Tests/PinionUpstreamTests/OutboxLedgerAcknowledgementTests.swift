import Foundation
import PinionUpstream
import Testing

/// Which ledger entries the outbox can say the broker acknowledged (what ledger retention may
/// delete): taken, no longer waiting, and never evicted.
@Suite("Outbox: ledger entries acknowledged upstream")
struct OutboxLedgerAcknowledgementTests {
    static func ledger(_ seqs: ClosedRange<Int64>) -> [Outbox.Outgoing] {
        seqs.map { Outbox.Outgoing(topic: "gw/key/ledger", payload: Array(String(repeating: "L", count: 100).utf8), kind: .ledger, sequence: $0) }
    }

    @Test func onlyEntriesTakenAndNoLongerWaitingAreAcknowledged() async throws {
        let (outbox, path) = try OutboxEvictionTests.makeOutbox(Outbox.Limits())
        defer { OutboxEvictionTests.remove(path) }
        #expect(try await outbox.ledgerAcknowledged() == nil, "nothing taken")
        // The outbox first takes seq 5…9 (0…4 were never in it: they are never acknowledged).
        let ids = try await outbox.enqueue(Self.ledger(5...9), settingMeta: ("ledger_seq", 9))
        #expect(try await outbox.ledgerAcknowledged() == nil, "all waiting")
        try await outbox.delete(Array(ids.prefix(3)))
        #expect(try await outbox.ledgerAcknowledged() == 5...7)
        _ = try await outbox.enqueue(Self.ledger(10...12), settingMeta: ("ledger_seq", 12))
        #expect(try await outbox.ledgerAcknowledged() == 5...7)
        // Out of order acknowledgements count only up to the first entry still waiting.
        try await outbox.delete([ids[4]])
        #expect(try await outbox.ledgerAcknowledged() == 5...7)
        try await outbox.delete([ids[3]])
        #expect(try await outbox.ledgerAcknowledged() == 5...9)
    }

    @Test func nothingFromTheFirstEvictedLedgerEntryOnIsAcknowledged() async throws {
        let (outbox, path) = try OutboxEvictionTests.makeOutbox(Outbox.Limits(maxAgeSeconds: 60))
        defer { OutboxEvictionTests.remove(path) }
        let ids = try await outbox.enqueue(Self.ledger(0...3), settingMeta: ("ledger_seq", 3))
        try await outbox.delete([ids[0]])
        let evictions = try await outbox.evictExpired(now: Date().addingTimeInterval(120))
        #expect(evictions.map(\.count) == [3])
        #expect(try await outbox.count() == 0)
        #expect(try await outbox.ledgerAcknowledged() == 0...0, "1…3 were evicted, never acknowledged")
        // Later entries acknowledged do not make the evicted ones acknowledged.
        let later = try await outbox.enqueue(Self.ledger(4...5), settingMeta: ("ledger_seq", 5))
        try await outbox.delete(later)
        #expect(try await outbox.ledgerAcknowledged() == 0...0)
    }
}
