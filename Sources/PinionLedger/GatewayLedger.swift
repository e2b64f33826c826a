import Crypto
import Foundation
import PinionFirmware

/// Writes the gateway's ledger: each record becomes the next entry, holding the previous entry's
/// hash and signed with the gateway's identity, appended to a JSON-lines file and fsync'd before
/// `append` returns. Continues an existing file where it ended, after checking the chain it
/// continues (see docs/ledger.md):
///
/// - a torn final line (a write a power cut interrupted) is dropped, and kept in a side file;
/// - the entries of the tail window must verify, and the last of them must be signed by
///   `identity` (or rotate to it); otherwise the ledger is not opened;
/// - `verifyWholeFile()` checks everything before, on a low-priority thread; a ledger that
///   fails it gets no more entries.
public actor GatewayLedger {
    /// Appends write and fsync the file, which blocks: the ledger's methods run on a thread of
    /// their own, never on the cooperative pool.
    private static let executor = DedicatedThreadExecutor(name: "pinion ledger")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { Self.executor.asUnownedSerialExecutor() }

    public nonisolated let path: String
    private var key: FirmwareSigningKey
    private var nextSeq: Int64
    private var lastHash: String
    private let file: LedgerFile
    private let lengthAtOpen: UInt64
    /// Set when the chain is found not to verify: every append throws it.
    private var refusal: LedgerError?
    /// Tasks with a receipt among the ledger's last megabyte when it was opened: what a restart
    /// checks before writing receipts a crash may have left unmarked.
    public nonisolated let recentReceiptTasks: Set<String>
    /// The entries in the ledger's last megabyte (at least its last few entries) when it was opened.
    public nonisolated let tailAtOpen: [LedgerEntry]
    /// The torn final line dropped at open, if there was one.
    public nonisolated let droppedTail: DroppedTail?
    /// What is known of the chain and the writes so far.
    public private(set) var health = LedgerHealth()

    /// A torn final line removed at open: where it was, how long, and the side file that keeps it.
    public struct DroppedTail: Sendable, Hashable {
        public var offset: UInt64
        public var bytes: Int
        public var keptIn: String
    }

    /// - Parameter tailBytes: how much of the file's end is read and verified at open (whole
    ///   entries; at least the last few, however long).
    public init(path: String, identity: FirmwareSigningKey, tailBytes: UInt64 = 1 << 20) throws(LedgerError) {
        self.path = path
        key = identity
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw LedgerError(entry: nil, "cannot create the ledger \(path)")
            }
        }
        let file = try LedgerFile(path: path)
        let tail = try LedgerTail.read(path: path, minBytes: tailBytes)
        let summary: LedgerVerifier.Summary
        do {
            summary = try LedgerVerifier.verify(tail.entries, continuing: tail.windowStart > 0)
        } catch {
            let seq = error.entry.flatMap { $0 < tail.entries.count ? tail.entries[$0].seq : nil }.map { "seq \($0)" } ?? "an entry"
            throw LedgerError(entry: nil, "\(path): the chain it would continue does not verify: \(seq) near the end: \(error.reason); "
                              + "nothing was written: find the first bad entry with `pinion ledger verify \(path)`, keep what verifies with `pinion ledger repair \(path)`")
        }
        if let signer = summary.gateway, signer != identity.publicKey.hex {
            throw LedgerError(entry: nil, "\(path) is signed by gateway \(signer.prefix(16))…, but the identity is \(identity.publicKey.hex.prefix(16))…: "
                              + "restore the gateway's identity file, or start a new ledger deliberately by moving \(path) aside "
                              + "(`pinion identity rotate` moves a ledger to a new key while the old one is at hand)")
        }
        file.start(at: tail.goodLength)
        self.file = file
        if tail.torn.isEmpty {
            droppedTail = nil
        } else {
            let side = "\(path).torn-\(Int64(Date().timeIntervalSince1970 * 1000))"
            guard FileManager.default.createFile(atPath: side, contents: Data(tail.torn), attributes: [.posixPermissions: 0o640]) else {
                throw LedgerError(entry: nil, "\(path): its last \(tail.torn.count) bytes are not a whole entry and cannot be kept aside in \(side): nothing was changed")
            }
            try file.cut(to: tail.goodLength)
            droppedTail = DroppedTail(offset: tail.goodLength, bytes: tail.torn.count, keptIn: side)
        }
        if let last = tail.entries.last {
            let payload = try LedgerVerifier.payload(of: last, index: 0)
            nextSeq = payload.seq + 1
            lastHash = last.hash
        } else if tail.windowStart == 0 {
            nextSeq = 0
            lastHash = LedgerEntry.genesis
        } else {
            throw LedgerError(entry: nil, "\(path): no whole entry found at its end: nothing was written")
        }
        lengthAtOpen = tail.goodLength
        recentReceiptTasks = Set(tail.entries.compactMap { try? LedgerVerifier.payload(of: $0, index: 0).body.receipt?.task })
        tailAtOpen = tail.entries
    }

    /// The gateway's public key, hex.
    public var publicKeyHex: String { key.publicKey.hex }

    /// Appends `record` as the next entry and returns it (durable when this returns).
    @discardableResult
    public func append(_ record: LedgerRecord, timeMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws(LedgerError) -> LedgerEntry {
        try append([record], timeMs: timeMs)[0]
    }

    /// Appends `records` as the next entries, in order, with one write and one fsync for all of
    /// them (group commit); durable when this returns. On a failed write or fsync none of them
    /// counts and the file is cut back to what it was: the sequence and hash chain go on from the
    /// last durable entry.
    @discardableResult
    public func append(_ records: [LedgerRecord], timeMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws(LedgerError) -> [LedgerEntry] {
        if let refusal { throw refusal }
        var seq = nextSeq, previous = lastHash
        var entries: [LedgerEntry] = []
        var bytes: [UInt8] = []
        for record in records {
            let payload = LedgerEntry.Payload(seq: seq, prev: previous, kind: record.kind, timeMs: timeMs, gateway: key.publicKey.hex, body: record.body)
            let signed = LedgerEntry.canonical(payload)
            let entry = LedgerEntry(payload: String(decoding: signed, as: UTF8.self), hash: LedgerEntry.hex(SHA256.hash(data: signed)),
                                    signature: Data(key.signature(for: signed)).base64EncodedString())
            bytes += LedgerEntry.canonical(entry) + [0x0A]
            entries.append(entry)
            seq += 1
            previous = entry.hash
        }
        guard !entries.isEmpty else { return [] }
        do {
            try file.commit(bytes, entries: entries.count)
        } catch {
            health.failedAppends += 1
            health.lastFailure = error.reason
            throw error
        }
        health.lastFailure = nil
        health.entriesWritten += entries.count
        nextSeq = seq
        lastHash = previous
        return entries
    }

    /// The key that signs the ledger's last entry (the new key, if that entry is a rotation);
    /// nil for an empty or missing file. Reads only the file's end.
    public static func lastSigner(path: String) throws(LedgerError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let tail = try LedgerTail.read(path: path, minBytes: 0)
        guard let last = tail.entries.last else { return nil }
        let payload = try LedgerVerifier.payload(of: last, index: 0)
        return payload.body.rotation?.newKey ?? payload.gateway
    }

    /// Appends a key rotation to `identity`, signed by the current key, and signs every later
    /// entry with `identity`.
    @discardableResult
    public func rotate(to identity: FirmwareSigningKey) throws(LedgerError) -> LedgerEntry {
        let entry = try append(.rotation(KeyRotation(newKey: identity.publicKey.hex)))
        key = identity
        return entry
    }

    /// Verifies the file as it was at open, from its first entry, on a low-priority thread, and
    /// records the verdict in `health`. A chain that does not verify gets no more entries.
    public func verifyWholeFile() async -> LedgerHealth.Verification {
        health.verification = .checking
        let path = path, length = lengthAtOpen, expectedLast = nextSeq - 1
        let verdict: LedgerHealth.Verification = await LowPriorityThread.run {
            do throws(LedgerError) {
                let scan = try LedgerVerifier.scan(path: path, upTo: length)
                if let failure = scan.failure { return .failed(failure) }
                guard length == 0 || scan.summary.lastSeq == expectedLast else {
                    return .failed(LedgerError(entry: nil, "the file's chain ends at seq \(scan.summary.lastSeq.map(String.init) ?? "-"), its tail at seq \(expectedLast)"))
                }
                return .verified(entries: scan.summary.entries)
            } catch {
                return .failed(error)
            }
        }
        health.verification = verdict
        if case .failed(let error) = verdict {
            refusal = LedgerError(entry: nil, "\(path) does not verify (\(error)): no entries are added to it; "
                                  + "check it with `pinion ledger verify \(path)`, keep what verifies with `pinion ledger repair \(path)`")
        }
        return verdict
    }
}

/// The ledger's state as the controller reports it (log, /metrics, `pinion status`).
public struct LedgerHealth: Sendable, Hashable {
    /// The whole-file check of the chain the gateway continues.
    public enum Verification: Sendable, Hashable {
        case notChecked, checking
        case verified(entries: Int)
        case failed(LedgerError)
    }

    public var verification = Verification.notChecked
    /// Appends that failed (a full disk, an I/O error) since start; their entries were not added.
    public var failedAppends = 0
    /// Why the last append failed; nil once one succeeds again.
    public var lastFailure: String?
    public var entriesWritten = 0
    /// The chain does not verify: no entries are added.
    public var refused: Bool {
        if case .failed = verification { true } else { false }
    }

    public init() {}
}

/// Runs blocking work on a thread of its own at the lowest CPU priority (nice 19), so that a
/// long check does not take the cooperative pool or the CPU from the gateway's real work.
enum LowPriorityThread {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                // On Linux a thread has its own nice value: 0 here means this thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                continuation.resume(returning: work())
            }
            thread.name = "pinion-ledger-verify"
            thread.start()
        }
    }
}
