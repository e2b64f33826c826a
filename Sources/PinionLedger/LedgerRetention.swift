import Foundation

/// Deletes a segmented ledger's oldest closed segments once they are older than a retention age
/// and every entry in them is acknowledged upstream. Whole segments, oldest first: a segment goes
/// with the checkpoint it verifies from (`<its first seq>.checkpoint`), and the checkpoint that
/// closed it stays, as the one the next segment verifies from; the first closed segment kept is
/// not touched, and the newest segment (being written) never.
public enum LedgerRetention {
    /// A closed segment deleted.
    public struct Deletion: Sendable, Hashable, CustomStringConvertible {
        public var firstSeq: Int64
        public var lastSeq: Int64
        /// When it was closed (its closing checkpoint's time).
        public var closed: Date
        /// How long before the deletion.
        public var age: TimeInterval

        public var description: String {
            "deleted segment \(firstSeq)…\(lastSeq) (\(lastSeq - firstSeq + 1) entries, closed \(Self.duration(age)) ago, acknowledged upstream)"
        }

        static func duration(_ seconds: TimeInterval) -> String {
            switch seconds {
            case ..<120: "\(Int(seconds)) s"
            case ..<7200: "\(Int(seconds / 60)) min"
            case ..<172_800: "\(Int(seconds / 3600)) h"
            default: "\(Int(seconds / 86_400)) days"
            }
        }
    }

    /// Deletes, oldest first, the closed segments of `segments` closed at least `retentionSeconds`
    /// before `now` whose every entry is in `acknowledged`; stops at the first segment that is not
    /// (so only a prefix goes). `retentionSeconds` 0 or `acknowledged` nil: nothing is deleted.
    /// A segment whose closing checkpoint is missing or does not verify is kept, as is every one after it.
    public static func prune(_ segments: LedgerSegments, retentionSeconds: Double, acknowledged: ClosedRange<Int64>?,
                             now: Date = Date()) throws(LedgerError) -> [Deletion] {
        guard retentionSeconds > 0, let acknowledged else { return [] }
        let sealed = segments.sealed()
        let checkpoints = segments.checkpoints()
        var deleted: [Deletion] = []
        for segment in sealed {
            guard segment.firstSeq >= acknowledged.lowerBound,
                  let closingSeq = checkpoints.first(where: { $0 > segment.firstSeq }),
                  let closing = try? LedgerCheckpoint.read(path: segments.checkpointPath(firstSeq: closingSeq))
                      .verified(path: segments.checkpointPath(firstSeq: closingSeq)),
                  closing.seq == closingSeq - 1, closing.seq <= acknowledged.upperBound else { break }
            let closed = Date(timeIntervalSince1970: Double(closing.timeMs) / 1000)
            let age = now.timeIntervalSince(closed)
            guard age >= retentionSeconds else { break }
            try remove(segment.path)
            LedgerSegments.syncDirectory(of: segment.path)
            deleted.append(Deletion(firstSeq: segment.firstSeq, lastSeq: closing.seq, closed: closed, age: age))
        }
        // The checkpoints before the oldest segment kept verify nothing now (left by the loop
        // above, or by a crash between deleting a segment and its checkpoint).
        let oldestKept = segments.sealed().first?.firstSeq ?? checkpoints.last ?? 0
        for seq in checkpoints where seq < oldestKept {
            try remove(segments.checkpointPath(firstSeq: seq))
        }
        if !deleted.isEmpty { LedgerSegments.syncDirectory(of: segments.checkpointPath(firstSeq: 0)) }
        return deleted
    }

    private static func remove(_ path: String) throws(LedgerError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw LedgerError(entry: nil, "cannot delete \(path): \(String(cString: strerror(errno)))")
        }
    }
}
