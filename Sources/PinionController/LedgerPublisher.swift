import Foundation
import PinionLedger
import PinionUpstream

/// Puts every ledger entry into the upstream outbox (topic `<prefix>/<gateway key>/ledger`), in
/// ledger order, and wakes the publisher. The outbox remembers the last sequence number it holds,
/// so at start-up the entries the ledger got after it (a crash between the two writes) are added.
public actor LedgerPublisher {
    private let outbox: Outbox
    private let publisher: UpstreamPublisher
    public nonisolated let topic: String

    public init(outbox: Outbox, publisher: UpstreamPublisher, topicPrefix: String, gateway: String) {
        self.outbox = outbox
        self.publisher = publisher
        topic = "\(topicPrefix)/\(gateway)/ledger"
    }

    /// Enqueues entries of the ledger's tail that the outbox has not had yet; returns how many.
    public func catchUp(_ tail: [LedgerEntry]) async throws -> Int {
        let last = try await outbox.meta(Outbox.ledgerLastSeq) ?? -1
        let missing = tail.filter { ($0.seq ?? -1) > last }
        try await enqueue(missing)
        return missing.count
    }

    public func enqueue(_ entry: LedgerEntry) async throws {
        try await enqueue([entry])
    }

    /// Queues entries (in ledger order) in one outbox transaction.
    public func enqueue(_ entries: [LedgerEntry]) async throws {
        guard let last = entries.last else { return }
        try await outbox.enqueue(entries.map { Outbox.Outgoing(topic: topic, payload: $0.line, kind: .ledger, sequence: $0.seq) },
                                 settingMeta: (Outbox.ledgerLastSeq, last.seq ?? -1))
        await publisher.wake()
    }
}
