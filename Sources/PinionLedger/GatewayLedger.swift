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
    private var key: FirmwareSigningKey {
        didSet { signer = Self.signer(for: key) }
    }
    /// `key` as swift-crypto's signer, made once: `FirmwareSigningKey.signature(for:)` derives the
    /// public half again at every call, which costs as much as the signature. Nil only if the key
    /// could not be read back from its PEM (then `key` signs).
    private var signer: Curve25519.Signing.PrivateKey?
    private var nextSeq: Int64
    private var lastHash: String
    /// The newest segment, open for writing; nil between closing a segment and creating the next.
    private var file: LedgerFile?
    private let lengthAtOpen: UInt64
    /// The newest segment is closed before an append would take it past this many bytes
    /// (nil: one file for ever).
    private let segmentMaxBytes: UInt64?
    /// The seq of the newest segment's first entry (nil while it is empty), and the checkpoint it
    /// starts from (nil for a ledger starting at seq 0).
    private var activeFirstSeq: Int64?
    private let checkpointAtOpen: LedgerCheckpoint.Payload?
    /// The newest segment's first and last seq at open (what the whole-file check checks).
    private let firstSeqAtOpen: Int64?
    private let lastSeqAtOpen: Int64
    private nonisolated let segments: LedgerSegments
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
    /// - Parameter segmentMaxBytes: close the newest segment (with a signed checkpoint) before an
    ///   append would take it past this size; nil: never.
    public init(path: String, identity: FirmwareSigningKey, tailBytes: UInt64 = 1 << 20, segmentMaxBytes: UInt64? = nil) throws(LedgerError) {
        self.path = path
        key = identity
        signer = Self.signer(for: identity)
        self.segmentMaxBytes = segmentMaxBytes
        segments = LedgerSegments(activePath: path)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw LedgerError(entry: nil, "cannot create the ledger \(path)")
            }
        }
        let file = try LedgerFile(path: path)
        let tail = try LedgerTail.read(path: path, minBytes: tailBytes)
        // Where the newest segment starts: its first entry, or (empty) the newest checkpoint.
        let firstSeq = tail.windowStart == 0 ? tail.entries.first.flatMap(\.seq) : LedgerSegments.firstSeq(of: path)
        let checkpoint: LedgerCheckpoint.Payload?
        if let firstSeq, firstSeq > 0, FileManager.default.fileExists(atPath: segments.checkpointPath(firstSeq: firstSeq)) {
            checkpoint = try LedgerCheckpoint.read(path: segments.checkpointPath(firstSeq: firstSeq)).verified(path: segments.checkpointPath(firstSeq: firstSeq))
        } else if tail.entries.isEmpty, let newest = segments.checkpoints().last {
            checkpoint = try LedgerCheckpoint.read(path: segments.checkpointPath(firstSeq: newest)).verified(path: segments.checkpointPath(firstSeq: newest))
        } else {
            checkpoint = nil
        }
        checkpointAtOpen = checkpoint
        activeFirstSeq = firstSeq
        firstSeqAtOpen = firstSeq
        let summary: LedgerVerifier.Summary
        do {
            if tail.windowStart == 0, let checkpoint {
                summary = try LedgerVerifier.verify(tail.entries, from: checkpoint)
            } else {
                summary = try LedgerVerifier.verify(tail.entries, continuing: tail.windowStart > 0)
            }
        } catch {
            let seq = error.entry.flatMap { $0 < tail.entries.count ? tail.entries[$0].seq : nil }.map { "seq \($0)" } ?? "an entry"
            throw LedgerError(entry: nil, "\(path): the chain it would continue does not verify: \(seq) near the end: \(error.reason); "
                              + "nothing was written: find the first bad entry with `pinion ledger verify \(path)`, keep what verifies with `pinion ledger repair \(path)`")
        }
        if let signer = summary.gateway ?? checkpoint?.gateway, signer != identity.publicKey.hex {
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
        } else if let checkpoint {
            nextSeq = checkpoint.seq + 1
            lastHash = checkpoint.hash
        } else if tail.windowStart == 0 {
            nextSeq = 0
            lastHash = LedgerEntry.genesis
        } else {
            throw LedgerError(entry: nil, "\(path): no whole entry found at its end: nothing was written")
        }
        lengthAtOpen = tail.goodLength
        lastSeqAtOpen = nextSeq - 1
        // A newest segment shorter than the window: the end of the segment before it too (a
        // crash just after a segment was closed leaves its last receipts there).
        var recent = tail.entries
        if tail.windowStart == 0, tail.goodLength < tailBytes, let previous = segments.sealed().last,
           let before = try? LedgerTail.read(path: previous.path, minBytes: tailBytes - tail.goodLength) {
            let activeFirst = nextSeq - Int64(tail.entries.count)
            recent = before.entries.filter { ($0.seq ?? .max) < activeFirst } + recent
        }
        recentReceiptTasks = Set(recent.compactMap { try? LedgerVerifier.payload(of: $0, index: 0).body.receipt?.task })
        tailAtOpen = recent
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
        let gateway = key.publicKey.hex
        for record in records {
            let payload = LedgerEntry.Payload(seq: seq, prev: previous, kind: record.kind, timeMs: timeMs, gateway: gateway, body: record.body)
            let signed = LedgerEntry.signedBytes(payload)
            let entry = LedgerEntry(payload: String(decoding: signed, as: UTF8.self), hash: LedgerEntry.hex(SHA256.hash(data: signed)),
                                    signature: signature(for: signed).base64EncodedString())
            bytes += entry.line
            bytes.append(0x0A)
            entries.append(entry)
            seq += 1
            previous = entry.hash
        }
        guard !entries.isEmpty else { return [] }
        do {
            if let segmentMaxBytes, let file, file.committedLength > 0, file.committedLength + UInt64(bytes.count) > segmentMaxBytes {
                try closeSegment(timeMs: timeMs)
            }
            let file = try activeFile()
            try file.commit(bytes, entries: entries.count)
            activeFirstSeq = activeFirstSeq ?? nextSeq
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

    /// The Ed25519 signature of `bytes` by the gateway's key (signing does not fail).
    private func signature(for bytes: [UInt8]) -> Data {
        if let signer { return try! signer.signature(for: bytes) }
        return Data(key.signature(for: bytes))
    }

    /// `key` as swift-crypto's private key, from its PKCS#8 PEM (an Ed25519 PKCS#8 document ends
    /// with the 32-byte seed, RFC 8410), if the public key it gives is the identity's.
    private static func signer(for key: FirmwareSigningKey) -> Curve25519.Signing.PrivateKey? {
        let base64 = key.pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: base64), der.count >= 32,
              let signer = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)),
              Array(signer.publicKey.rawRepresentation) == key.publicKey.rawRepresentation else { return nil }
        return signer
    }

    /// Closes the newest segment: the checkpoint of its last entry, signed, is written for the
    /// next segment to start from, then the segment is renamed into the segments directory, then
    /// the next one is created. A failure at any step throws and loses nothing: the entries stay
    /// where they are, and the next append tries again (a crash between the steps is found at
    /// open: a missing newest segment is created, and continues from the newest checkpoint).
    private func closeSegment(timeMs: Int64) throws(LedgerError) {
        let first = activeFirstSeq ?? nextSeq
        if !FileManager.default.fileExists(atPath: segments.directory) {
            guard mkdir(segments.directory, 0o750) == 0 || errno == EEXIST else {
                throw LedgerError(entry: nil, "cannot create the segments directory \(segments.directory): \(String(cString: strerror(errno)))")
            }
            LedgerSegments.syncDirectory(of: segments.directory)
        }
        try LedgerCheckpoint.make(seq: nextSeq - 1, hash: lastHash, timeMs: timeMs, key: key).write(to: segments.checkpointPath(firstSeq: nextSeq))
        let sealed = segments.segmentPath(firstSeq: first)
        guard rename(path, sealed) == 0 else {
            throw LedgerError(entry: nil, "cannot move the full segment \(path) to \(sealed): \(String(cString: strerror(errno)))")
        }
        file = nil
        activeFirstSeq = nil
        LedgerSegments.syncDirectory(of: sealed)
        LedgerSegments.syncDirectory(of: path)
        health.segmentsClosed += 1
        _ = try activeFile()
    }

    /// The newest segment, created first if a closed one was moved away.
    private func activeFile() throws(LedgerError) -> LedgerFile {
        if let file { return file }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LedgerError(entry: nil, "cannot create the new segment \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        LedgerSegments.syncDirectory(of: path)
        let opened = try LedgerFile(path: path)
        opened.start(at: 0)
        file = opened
        return opened
    }

    /// The key that signs the ledger's last entry (the new key, if that entry is a rotation);
    /// nil for an empty or missing file. Reads only the file's end (and, for an empty newest
    /// segment, the newest checkpoint).
    public static func lastSigner(path: String) throws(LedgerError) -> String? {
        let segments = LedgerSegments(activePath: path)
        let last: LedgerEntry?
        if FileManager.default.fileExists(atPath: path) { last = try LedgerTail.read(path: path, minBytes: 0).entries.last } else { last = nil }
        guard let last else {
            guard let newest = segments.checkpoints().last else { return nil }
            let checkpoint = segments.checkpointPath(firstSeq: newest)
            return try LedgerCheckpoint.read(path: checkpoint).verified(path: checkpoint).gateway
        }
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
        // The newest segment as it was at open: a closed one has been moved since.
        let activePath = path, activeFirst = activeFirstSeq
        let checked = firstSeqAtOpen.map { $0 == activeFirst ? activePath : segments.segmentPath(firstSeq: $0) } ?? activePath
        let length = lengthAtOpen, checkpoint = checkpointAtOpen, expectedLast = lastSeqAtOpen
        let verdict: LedgerHealth.Verification = await LowPriorityThread.run {
            do throws(LedgerError) {
                let scan = try LedgerVerifier.scan(path: checked, from: checkpoint, upTo: length)
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
    /// Segments closed (with a checkpoint) since start.
    public var segmentsClosed = 0
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
