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
        let last = try await outbox.meta("ledger_seq") ?? -1
        let missing = tail.filter { ($0.seq ?? -1) > last }
        for entry in missing { try await enqueue(entry) }
        return missing.count
    }

    public func enqueue(_ entry: LedgerEntry) async throws {
        try await outbox.enqueue([Outbox.Outgoing(topic: topic, payload: entry.line, kind: .ledger, sequence: entry.seq)],
                                 settingMeta: ("ledger_seq", entry.seq ?? -1))
        await publisher.wake()
    }
}
