import Crypto
import Foundation

/// Checks a ledger offline: every entry's hash, its signature by the gateway key, its sequence
/// number and its link to the entry before. The first bad entry is named, with what is wrong.
public enum LedgerVerifier {
    /// What a good ledger holds.
    public struct Summary: Sendable, Hashable {
        public var entries: Int
        public var gateway: String?
        public var receipts: Int
        public var energyReports: Int
        /// The first and last sequence numbers checked.
        public var firstSeq: Int64?
        public var lastSeq: Int64?
        /// Key rotations in the ledger: from each on, entries are signed by its new key (the
        /// rotation itself by the key before it). `gateway` is the key that signs the last entry.
        public var rotations = 0
        /// Copies of an entry already checked, dropped (a QoS 1 broker may deliver an entry twice).
        public var duplicates = 0
    }

    /// Verifies `entries` in order. With `gatewayKey` (hex), the first entry must be signed by it;
    /// without, by the key the first entry names. Later entries are signed by the same key, up to
    /// a key rotation entry (signed by that key) and by the rotation's new key after it.
    /// - Parameter continuing: the entries are a stretch of a longer ledger (what a broker
    ///   delivered): the first one's link to the entry before it is taken as given; from there on
    ///   every link, sequence number and signature is checked as for a whole ledger.
    public static func verify(_ entries: [LedgerEntry], gatewayKey: String? = nil, continuing: Bool = false) throws(LedgerError) -> Summary {
        var chain = Chain(gatewayKey: gatewayKey, continuing: continuing)
        for entry in entries { try chain.add(entry) }
        return chain.summary
    }

    /// Verifies `entries`, the first of which follows the entry a checkpoint names: its `seq`
    /// and `prev` must continue it, and it must be signed by the checkpoint's key.
    public static func verify(_ entries: [LedgerEntry], from checkpoint: LedgerCheckpoint.Payload) throws(LedgerError) -> Summary {
        var chain = Chain(from: checkpoint)
        for entry in entries { try chain.add(entry) }
        return chain.summary
    }

    /// Verifies what a broker delivered of a gateway's ledger: a stretch, in any order, in which
    /// an entry may come more than once (QoS 1). The entries are put in `seq` order
    /// (`deliveryOrder`); a copy of the entry before is dropped and counted (`duplicates`); two
    /// different entries at one `seq`, both validly signed, are an equivocation and named as one.
    /// An error's `entry` is a position in `deliveryOrder(entries)`.
    public static func verifyDelivered(_ entries: [LedgerEntry], gatewayKey: String? = nil) throws(LedgerError) -> Summary {
        var chain = Chain(gatewayKey: gatewayKey, continuing: true, deliveries: true)
        for entry in deliveryOrder(entries) { try chain.add(entry) }
        return chain.summary
    }

    /// Delivered entries in `seq` order, those with one `seq` in the order they arrived (an entry
    /// whose payload does not decode first, for the check to name it).
    public static func deliveryOrder(_ entries: [LedgerEntry]) -> [LedgerEntry] {
        // Each payload decoded once for its seq, not at every comparison of the sort.
        let keyed = entries.enumerated().map { (seq: $0.element.seq ?? -1, arrival: $0.offset, entry: $0.element) }
        return keyed.sorted { ($0.seq, $0.arrival) < ($1.seq, $1.arrival) }.map(\.entry)
    }

    /// Verifies a JSON-lines ledger file as it reads it, a line at a time: memory stays the
    /// same however long the ledger (a gateway writes hundreds of megabytes a day).
    public static func verify(path: String, gatewayKey: String? = nil) throws(LedgerError) -> Summary {
        var chain = Chain(gatewayKey: gatewayKey, continuing: false)
        let scan = try scan(path: path, chain: &chain, parallel: true)
        if let failure = scan.failure { throw failure }
        return scan.summary
    }

    /// How far a ledger file verifies.
    public struct Scan: Sendable, Hashable {
        /// The entries that verify, from the first.
        public var summary: Summary
        /// The length of the verified prefix: the end of the last newline-terminated line that verifies.
        public var verifiedBytes: UInt64
        /// The lines read, verified or not.
        public var lines: Int
        /// Why the entry after the prefix does not verify; nil if the whole file does.
        public var failure: LedgerError?
    }

    /// Checks a ledger file a line at a time (the first `limit` bytes, if given: a line
    /// boundary) and says how far it verifies. Throws only when the file cannot be opened.
    /// - Parameter checkpoint: the file is a segment that starts after this checkpoint (nil: at seq 0).
    public static func scan(path: String, gatewayKey: String? = nil, from checkpoint: LedgerCheckpoint.Payload? = nil,
                            upTo limit: UInt64? = nil) throws(LedgerError) -> Scan {
        var chain = checkpoint.map { Chain(from: $0) } ?? Chain(gatewayKey: gatewayKey, continuing: false)
        return try scan(path: path, chain: &chain, upTo: limit)
    }

    /// `scan`, going on with `chain` (a segment after the one it checked). Lines are read in
    /// batches; with `parallel`, each batch's hashes, payloads and signatures are checked on all
    /// cores first (`Prepared`), then the chain takes the entries in order, as it does without.
    static func scan(path: String, chain: inout Chain, upTo limit: UInt64? = nil, parallel: Bool = false) throws(LedgerError) -> Scan {
        guard let file = fopen(path, "r") else { throw LedgerError(entry: nil, "cannot read \(path)") }
        defer { fclose(file) }
        var result = Scan(summary: chain.summary, verifiedBytes: 0, lines: 0)
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var offset: UInt64 = 0
        var lines = 0
        var batch: [Line] = []
        batch.reserveCapacity(batchSize)
        var reading = true
        while reading {
            batch.removeAll(keepingCapacity: true)
            while batch.count < batchSize, limit.map({ offset < $0 }) ?? true {
                let length = getline(&line, &capacity, file)
                guard length > 0, let line else { reading = false; break }
                offset += UInt64(length)
                lines += 1
                let read = readEntry(line, length: length)
                batch.append(Line(number: lines, end: offset, terminated: line[length - 1] == 0x0A, blank: read.blank, entry: read.entry))
                if !read.blank && read.entry == nil { break }
            }
            if batch.count < batchSize { reading = false }
            let prepared = parallel ? Prepared.all(batch) : nil
            for (index, item) in batch.enumerated() {
                result.lines = item.number
                if item.blank {
                    if item.terminated && result.failure == nil { result.verifiedBytes = item.end }
                    continue
                }
                guard let entry = item.entry else {
                    result.failure = LedgerError(entry: chain.summary.entries, "line \(item.number) of \(path) is not a ledger entry")
                    return result
                }
                do {
                    try chain.add(entry, prepared: prepared?[index])
                } catch {
                    result.failure = error
                    return result
                }
                result.summary = chain.summary
                if item.terminated { result.verifiedBytes = item.end }
            }
        }
        if ferror(file) != 0 { result.failure = LedgerError(entry: nil, "\(path): read error after line \(result.lines)") }
        return result
    }

    private static let batchSize = 512

    /// A line of a ledger file as read: where it ends, and the entry on it (nil and not blank:
    /// not an entry).
    struct Line: Sendable {
        var number: Int
        var end: UInt64
        var terminated: Bool
        var blank: Bool
        var entry: LedgerEntry?
    }

    /// The entry on a line as `getline` read it (up to its first NUL, as a C string, and without
    /// the whitespace around it): by `LedgerJSON` when it is in the canonical shape, else by
    /// `JSONDecoder`; `blank` for a line of nothing but whitespace.
    private static func readEntry(_ line: UnsafeMutablePointer<CChar>, length: Int) -> (blank: Bool, entry: LedgerEntry?) {
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self), count: length)
        var end = bytes.firstIndex(of: 0) ?? length
        var start = 0
        // ASCII whitespace only: a line that starts or ends with anything else goes the slow way.
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        if start < end, bytes[start] < 0x80, bytes[end - 1] < 0x80, let entry = LedgerJSON.decodeEntry(UnsafeBufferPointer(rebasing: bytes[start..<end])) {
            return (false, entry)
        }
        let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return (true, nil) }
        return (false, try? JSONDecoder().decode(LedgerEntry.self, from: Data(text.utf8)))
    }

    /// The check, an entry at a time.
    struct Chain {
        private(set) var summary: Summary
        private var previousHash = LedgerEntry.genesis
        private var previousSeq: Int64?
        private var key: Curve25519.Signing.PublicKey?
        /// The key entries must be signed by from here on, hex.
        private var currentKey: String?
        /// The key that signed the entry before (a rotation is signed by the key before it).
        private var previousSigner: (hex: String, key: Curve25519.Signing.PublicKey)?
        private let continuing: Bool
        /// Copies of the entry before are dropped and counted, not refused.
        private let deliveries: Bool
        /// Entries added so far, copies included: what an error's `entry` counts.
        private var position = 0

        init(gatewayKey: String?, continuing: Bool, deliveries: Bool = false) {
            summary = Summary(entries: 0, gateway: gatewayKey, receipts: 0, energyReports: 0)
            currentKey = gatewayKey
            self.continuing = continuing
            self.deliveries = deliveries
        }

        /// A chain that goes on from a (verified) checkpoint: the next entry is `seq + 1`, links
        /// to `hash` and is signed by `gateway`.
        init(from checkpoint: LedgerCheckpoint.Payload) {
            self.init(gatewayKey: checkpoint.gateway, continuing: false)
            previousHash = checkpoint.hash
            previousSeq = checkpoint.seq
        }

        /// Where the chain is: the last entry's seq and hash, and the key that signs the next.
        var head: (seq: Int64?, hash: String, key: String?) { (previousSeq, previousHash, currentKey) }

        /// Checks `entry` as the next one. `prepared`, the checks of the entry on its own made
        /// beforehand (`Prepared`), stands in for doing them here; the verdict is the same.
        mutating func add(_ entry: LedgerEntry, prepared: Prepared? = nil) throws(LedgerError) {
            let index = position
            position += 1
            let bytes = prepared?.bytes ?? Array(entry.payload.utf8)
            guard prepared?.hashMatches ?? LedgerJSON.isHex(entry.hash, of: SHA256.hash(data: bytes)) else {
                throw LedgerError(entry: index, "its payload does not hash to its hash (the entry was altered)")
            }
            let payload: LedgerEntry.Payload
            if let decoded = prepared?.payload ?? bytes.withUnsafeBufferPointer(LedgerJSON.decodePayload) {
                payload = decoded
            } else {
                payload = try LedgerVerifier.payload(of: entry, index: index)
            }
            if let previousSeq, payload.seq == previousSeq, try isCopy(entry, payload: payload, bytes: bytes, index: index) { return }
            // A stretch that starts with the rotation to the key it is checked against (what a
            // broker has on the new key's topic) starts with the old key's signature.
            let rotatesIn = continuing && index == 0 && payload.body.rotation?.newKey == currentKey
            let expectedKey = rotatesIn ? payload.gateway : currentKey ?? payload.gateway
            guard payload.gateway == expectedKey else {
                throw LedgerError(entry: index, "signed as gateway \(payload.gateway.prefix(16))…, the ledger is gateway \(expectedKey.prefix(16))…")
            }
            if key == nil || rotatesIn {
                guard let raw = LedgerVerifier.hexBytes(expectedKey), let parsed = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                    throw LedgerError(entry: index, "gateway key \(expectedKey.prefix(16))… is not an Ed25519 public key")
                }
                key = parsed
                currentKey = expectedKey
                summary.gateway = expectedKey
            }
            // The key is the one `payload.gateway` names (checked just above): what `prepared` used.
            let valid = prepared?.signatureValid ?? Data(base64Encoded: entry.signature).map { key!.isValidSignature($0, for: bytes) } ?? false
            guard valid else {
                throw LedgerError(entry: index, "the signature does not verify with gateway key \(expectedKey.prefix(16))…")
            }
            previousSigner = (expectedKey, key!)
            if continuing && index == 0 { previousHash = payload.prev }
            if let previousSeq, payload.seq != previousSeq + 1 {
                throw LedgerError(entry: index, "seq \(payload.seq) follows seq \(previousSeq) (entries removed or reordered)")
            }
            guard payload.prev == previousHash else {
                throw LedgerError(entry: index, "its prev hash is not the hash of the entry before it (entries removed, inserted or reordered)")
            }
            switch payload.kind {
            case "receipt" where payload.body.receipt != nil: summary.receipts += 1
            case "energy" where payload.body.energy != nil: summary.energyReports += 1
            case "rotation" where payload.body.rotation != nil:
                let newKey = payload.body.rotation!.newKey
                guard let raw = LedgerVerifier.hexBytes(newKey), let parsed = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                    throw LedgerError(entry: index, "a key rotation to \(newKey.prefix(16))…, which is not an Ed25519 public key")
                }
                key = parsed
                currentKey = newKey
                summary.gateway = newKey
                summary.rotations += 1
            default: throw LedgerError(entry: index, "kind \"\(payload.kind)\" does not match its body")
            }
            previousHash = entry.hash
            previousSeq = payload.seq
            summary.firstSeq = summary.firstSeq ?? payload.seq
            summary.lastSeq = payload.seq
            summary.entries += 1
        }

        /// An entry with the `seq` of the entry before: true for a copy of it (a delivery made
        /// twice), counted; an error for a second entry the same key signed for that place in
        /// the chain (an equivocation); false for anything else, which the other checks name.
        private mutating func isCopy(_ entry: LedgerEntry, payload: LedgerEntry.Payload, bytes: [UInt8], index: Int) throws(LedgerError) -> Bool {
            if entry.hash == previousHash {
                guard deliveries else { throw LedgerError(entry: index, "seq \(payload.seq) is there twice (the same entry written again)") }
                summary.duplicates += 1
                return true
            }
            if let previousSigner, payload.gateway == previousSigner.hex, let signature = Data(base64Encoded: entry.signature),
               previousSigner.key.isValidSignature(signature, for: bytes) {
                throw LedgerError(entry: index, "equivocation at seq \(payload.seq): two different entries signed by \(previousSigner.hex) "
                                  + "(hashes \(previousHash.prefix(16))… and \(entry.hash.prefix(16))…): the gateway signed two histories")
            }
            return false
        }
    }

    /// Reads a JSON-lines ledger file; a line that is not an entry is named.
    public static func read(path: String) throws(LedgerError) -> [LedgerEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LedgerError(entry: nil, "cannot read \(path)") }
        var entries: [LedgerEntry] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let entry = try? JSONDecoder().decode(LedgerEntry.self, from: Data(line.utf8)) else {
                throw LedgerError(entry: number, "line \(number + 1) of \(path) is not a ledger entry")
            }
            entries.append(entry)
        }
        return entries
    }

    static func payload(of entry: LedgerEntry, index: Int) throws(LedgerError) -> LedgerEntry.Payload {
        if let payload = LedgerJSON.decodePayload(entry.payload) { return payload }
        do {
            return try JSONDecoder().decode(LedgerEntry.Payload.self, from: Data(entry.payload.utf8))
        } catch {
            throw LedgerError(entry: index, "its payload is not a ledger payload: \(error)")
        }
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        guard text.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// A ledger that does not verify, or cannot be read: which entry (0-based), and why.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    public let entry: Int?
    public let reason: String

    public init(entry: Int?, _ reason: String) {
        self.entry = entry
        self.reason = reason
    }

    public var description: String { entry.map { "entry \($0): \(reason)" } ?? reason }
}
