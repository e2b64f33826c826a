import Foundation
import PinionFirmware
@testable import PinionLedger
import Testing

/// Ledger retention (issue #14): closed segments older than the retention and acknowledged
/// upstream are deleted, oldest first, and what is left still verifies; nothing else is deleted.
@Suite("Ledger retention")
final class LedgerRetentionTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-ret-\(UUID().uuidString)").path
    var path: String { directory + "/ledger.jsonl" }
    var segments: LedgerSegments { LedgerSegments(activePath: path) }
    let key = FirmwareSigningKey.generate(name: "gateway")
    let day: Double = 86_400

    init() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ledger = try GatewayLedger(path: path, identity: key, segmentMaxBytes: 4096)
        for index in 0..<30 {
            try await ledger.append(.receipt(ComputeReceipt(task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                                           inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                                           board: "EMU-S-0001", startMs: 1_000, endMs: 1_002, microjoules: 350)))
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The last seq of the closed segment at `index`.
    func lastSeq(_ index: Int) -> Int64 {
        let sealed = segments.sealed()
        return (index + 1 < sealed.count ? sealed[index + 1].firstSeq : LedgerSegments.firstSeq(of: path)!) - 1
    }

    @Test func oldAcknowledgedSegmentsAreDeletedOldestFirstAndTheRestVerifies() throws {
        let before = segments.sealed()
        #expect(before.count >= 5)
        // Acknowledged up to the middle of the third segment: the first two go.
        let deleted = try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: 0...(lastSeq(2) - 1), now: Date().addingTimeInterval(2 * day))
        #expect(deleted.map(\.firstSeq) == [before[0].firstSeq, before[1].firstSeq])
        #expect(deleted.map(\.lastSeq) == [before[1].firstSeq - 1, before[2].firstSeq - 1])
        #expect(deleted[0].description.hasPrefix("deleted segment 0…\(before[1].firstSeq - 1) (\(before[1].firstSeq) entries, closed 2 days ago, acknowledged upstream)"))
        #expect(segments.sealed() == Array(before.dropFirst(2)))
        // The first segment kept keeps the checkpoint it verifies from; the ones before it are gone.
        #expect(segments.checkpoints().first == before[2].firstSeq)
        let verified = try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex)
        #expect(verified.summary.firstSeq == before[2].firstSeq && verified.summary.lastSeq == 29)
        #expect(verified.fromCheckpoint != nil)
        #expect(try LedgerVerifier.verify(ledger: segments.directory).summary.lastSeq == 29)
        // Everything acknowledged: every closed segment goes, the newest segment and its checkpoint stay.
        let rest = try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: 0...29, now: Date().addingTimeInterval(2 * day))
        #expect(rest.count == before.count - 2 && segments.sealed().isEmpty)
        #expect(segments.checkpoints() == [LedgerSegments.firstSeq(of: path)!])
        #expect(try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex).summary.lastSeq == 29)
    }

    @Test func segmentsNewerThanTheRetentionAreKept() throws {
        let before = segments.sealed()
        #expect(try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: 0...29, now: Date().addingTimeInterval(day - 60)).isEmpty)
        #expect(segments.sealed() == before)
    }

    @Test func segmentsWithAnEntryNotAcknowledgedAreKept() throws {
        let before = segments.sealed()
        let later = Date().addingTimeInterval(2 * day)
        // The first segment's last entry is still waiting in the outbox: nothing goes.
        #expect(try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: 0...(lastSeq(0) - 1), now: later).isEmpty)
        // Acknowledged from after seq 0 only (the outbox never took seq 0): nothing goes either.
        #expect(try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: 1...29, now: later).isEmpty)
        // Nothing acknowledged (no upstream), or no retention: nothing goes.
        #expect(try LedgerRetention.prune(segments, retentionSeconds: day, acknowledged: nil, now: later).isEmpty)
        #expect(try LedgerRetention.prune(segments, retentionSeconds: 0, acknowledged: 0...29, now: later).isEmpty)
        #expect(segments.sealed() == before)
        #expect(try LedgerVerifier.verify(ledger: path).summary.firstSeq == 0)
    }
}
