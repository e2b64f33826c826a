import Foundation

/// `pinion ledger repair`: keeps the longest prefix of a ledger file that verifies and moves the
/// rest, byte for byte, to a side file; nothing is deleted.
public enum LedgerRepair {
    /// What a repair did.
    public struct Outcome: Sendable, Hashable {
        /// The entries kept (all of the file's, if nothing needed repairing).
        public var kept: LedgerVerifier.Summary
        public var keptBytes: UInt64
        /// The side file holding the rest, and its length; nil when the file verified whole.
        public var movedTo: String?
        public var movedBytes: UInt64
        /// Why the first entry not kept does not verify.
        public var reason: LedgerError?
    }

    /// Repairs `path` in place. The file is locked as `GatewayLedger` locks it, so a running
    /// controller's ledger is not touched.
    public static func repair(path: String, gatewayKey: String? = nil) throws(LedgerError) -> Outcome {
        let file = try LedgerFile(path: path)
        let scan = try LedgerVerifier.scan(path: path, gatewayKey: gatewayKey)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        guard size > scan.verifiedBytes else {
            return Outcome(kept: scan.summary, keptBytes: size, movedTo: nil, movedBytes: 0, reason: nil)
        }
        guard let reader = FileHandle(forReadingAtPath: path) else { throw LedgerError(entry: nil, "cannot read \(path)") }
        defer { try? reader.close() }
        let side = "\(path).damaged-\(Int64(Date().timeIntervalSince1970 * 1000))"
        guard FileManager.default.createFile(atPath: side, contents: nil, attributes: [.posixPermissions: 0o640]),
              let writer = FileHandle(forWritingAtPath: side) else {
            throw LedgerError(entry: nil, "cannot create \(side) for the part that does not verify: nothing was changed")
        }
        do {
            try reader.seek(toOffset: scan.verifiedBytes)
            while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty { try writer.write(contentsOf: chunk) }
            try writer.synchronize()
            try writer.close()
        } catch {
            throw LedgerError(entry: nil, "copying the part that does not verify to \(side) failed (\(error)): \(path) was not changed")
        }
        try file.cut(to: scan.verifiedBytes)
        let reason = scan.failure ?? LedgerError(entry: scan.summary.entries, "the last line is not newline-terminated (a write cut short)")
        return Outcome(kept: scan.summary, keptBytes: scan.verifiedBytes, movedTo: side, movedBytes: size - scan.verifiedBytes, reason: reason)
    }
}
