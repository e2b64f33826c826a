import Crypto
import Foundation
import PinionFirmware

/// Writes the gateway's ledger: each record becomes the next entry, holding the previous entry's
/// hash and signed with the gateway's identity, appended to a JSON-lines file and fsync'd before
/// `append` returns. Continues an existing file where it ended.
public actor GatewayLedger {
    /// Appends write and fsync the file, which blocks: the ledger's methods run on a thread of
    /// their own, never on the cooperative pool.
    private static let executor = DedicatedThreadExecutor(name: "pinion ledger")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { Self.executor.asUnownedSerialExecutor() }

    public let path: String
    private let key: FirmwareSigningKey
    private var nextSeq: Int64
    private var lastHash: String
    private let handle: FileHandle
    /// Tasks with a receipt among the ledger's last megabyte when it was opened: what a restart
    /// checks before writing receipts a crash may have left unmarked.
    public let recentReceiptTasks: Set<String>
    /// The entries in the ledger's last megabyte when it was opened.
    public let tailAtOpen: [LedgerEntry]

    public init(path: String, identity: FirmwareSigningKey) throws {
        self.path = path
        key = identity
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw LedgerError(entry: nil, "cannot create the ledger \(path)")
            }
        }
        // Continue the chain from the last entry; only the file's tail is read, however long the ledger.
        let tail = try Self.tailEntries(path: path)
        if let last = tail.last {
            let payload = try LedgerVerifier.payload(of: last, index: 0)
            nextSeq = payload.seq + 1
            lastHash = last.hash
        } else {
            nextSeq = 0
            lastHash = LedgerEntry.genesis
        }
        recentReceiptTasks = Set(tail.compactMap { try? LedgerVerifier.payload(of: $0, index: 0).body.receipt?.task })
        tailAtOpen = tail
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    /// The complete entries in the last `bytes` of the file (the first, partial line is skipped).
    static func tailEntries(path: String, bytes: UInt64 = 1 << 20) throws -> [LedgerEntry] {
        guard let reader = FileHandle(forReadingAtPath: path) else { throw LedgerError(entry: nil, "cannot read \(path)") }
        defer { try? reader.close() }
        let size = try reader.seekToEnd()
        let start = size > bytes ? size - bytes : 0
        try reader.seek(toOffset: start)
        let data = try reader.readToEnd() ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        if start > 0, !lines.isEmpty { lines.removeFirst() }
        return try lines.enumerated().map { number, line in
            guard let entry = try? JSONDecoder().decode(LedgerEntry.self, from: Data(line.utf8)) else {
                throw LedgerError(entry: nil, "\(path): a line near the end is not a ledger entry (line \(number + 1) of the last \(bytes >> 10) KiB): repair or move the file")
            }
            return entry
        }
    }

    /// The gateway's public key, hex.
    public var publicKeyHex: String { key.publicKey.hex }

    /// Appends `record` as the next entry and returns it (durable when this returns).
    @discardableResult
    public func append(_ record: LedgerRecord, timeMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> LedgerEntry {
        try append([record], timeMs: timeMs)[0]
    }

    /// Appends `records` as the next entries, in order, with one write and one fsync for all of
    /// them (group commit); durable when this returns. On a failed write none of them counts: the
    /// sequence and hash chain go on from the last durable entry.
    @discardableResult
    public func append(_ records: [LedgerRecord], timeMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws -> [LedgerEntry] {
        var seq = nextSeq, previous = lastHash
        var entries: [LedgerEntry] = []
        var bytes: [UInt8] = []
        for record in records {
            let body: LedgerEntry.Body = switch record {
            case .receipt(let receipt): LedgerEntry.Body(receipt: receipt)
            case .energy(let report): LedgerEntry.Body(energy: report)
            }
            let payload = LedgerEntry.Payload(seq: seq, prev: previous, kind: record.kind, timeMs: timeMs, gateway: key.publicKey.hex, body: body)
            let signed = LedgerEntry.canonical(payload)
            let entry = LedgerEntry(payload: String(decoding: signed, as: UTF8.self), hash: LedgerEntry.hex(SHA256.hash(data: signed)),
                                    signature: Data(key.signature(for: signed)).base64EncodedString())
            bytes += LedgerEntry.canonical(entry) + [0x0A]
            entries.append(entry)
            seq += 1
            previous = entry.hash
        }
        guard !entries.isEmpty else { return [] }
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
        nextSeq = seq
        lastHash = previous
        return entries
    }
}
