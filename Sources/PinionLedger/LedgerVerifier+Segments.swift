import Foundation

extension LedgerVerifier {
    /// What `verify(ledger:)` found.
    public struct SegmentedSummary: Sendable, Hashable {
        public var summary: Summary
        /// The files checked (closed segments and the newest).
        public var segments: Int
        /// The checkpoint the oldest segment was checked from; nil when it starts at seq 0.
        public var fromCheckpoint: LedgerCheckpoint.Payload?
    }

    /// Verifies a segmented ledger: `path` is the newest segment (a ledger file, with its closed
    /// segments in `<path>.segments/` if there are any) or a directory of segments. The segments
    /// are checked in order as one chain; at every boundary the checkpoint must be there, be
    /// signed by the key the chain is at, and name the last entry before it (its seq and hash).
    /// The oldest segment starts at seq 0 or verifies from its own checkpoint (the ones before it
    /// deleted by retention); `gatewayKey` is then the checkpoint's key.
    public static func verify(ledger path: String, gatewayKey: String? = nil) throws(LedgerError) -> SegmentedSummary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw LedgerError(entry: nil, "cannot read \(path)") }
        let layout = isDirectory.boolValue ? LedgerSegments(directory: path) : LedgerSegments(activePath: path)
        var files = layout.sealed().map { (path: $0.path, firstSeq: Optional($0.firstSeq)) }
        if let active = layout.active { files.append((active, LedgerSegments.firstSeq(of: active))) }
        guard !files.isEmpty else { throw LedgerError(entry: nil, "\(path): no ledger segments (<20-digit seq>.jsonl) in it") }
        let named = files.count > 1
        var chain: Chain?
        var start: LedgerCheckpoint.Payload?
        var checked = 0
        for (file, firstSeq) in files {
            if firstSeq == nil && chain != nil && FileManager.default.fileExists(atPath: file) {
                // An empty newest segment (just created): nothing to check in it.
                if (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) == 0 { checked += 1; continue }
            }
            if let firstSeq, firstSeq > 0 {
                let checkpointPath = layout.checkpointPath(firstSeq: firstSeq)
                guard let checkpoint = try layout.checkpoint(firstSeq: firstSeq) else { continue }
                if let current = chain {
                    let head = current.head
                    let payload = try checkpoint.verified(expectedKey: head.key, path: checkpointPath)
                    guard payload.seq == head.seq, payload.hash == head.hash else {
                        throw LedgerError(entry: current.summary.entries, "\(checkpointPath): the checkpoint names seq \(payload.seq) with hash \(payload.hash.prefix(16))…, "
                                          + "the segment before it ends at seq \(head.seq.map(String.init) ?? "-") with hash \(head.hash.prefix(16))…")
                    }
                } else {
                    let payload = try checkpoint.verified(expectedKey: gatewayKey, path: checkpointPath)
                    chain = Chain(from: payload)
                    start = payload
                }
            } else if chain == nil {
                chain = Chain(gatewayKey: gatewayKey, continuing: false)
            }
            let scan = try scan(path: file, chain: &chain!, parallel: true)
            checked += 1
            if let failure = scan.failure { throw named ? LedgerError(entry: failure.entry, "\(file): \(failure.reason)") : failure }
        }
        return SegmentedSummary(summary: chain?.summary ?? Summary(entries: 0, gateway: gatewayKey, receipts: 0, energyReports: 0),
                                segments: checked, fromCheckpoint: start)
    }
}
