import Crypto
import Foundation

/// One entry of a gateway's ledger, as stored and published (one JSON object per line):
///
///     {"hash":"<hex SHA-256 of payload>","payload":"<canonical JSON>","signature":"<base64 Ed25519 of payload>"}
///
/// `payload` is the exact signed bytes (canonical JSON: sorted keys, no spaces, integers only) of
/// `{"body":…,"gateway":"<public key hex>","kind":"receipt"|"energy"|"rotation","prev":"<previous entry's hash>","seq":N,"timeMs":T}`.
/// Verifiers check the bytes as they are, without re-encoding anything.
public struct LedgerEntry: Codable, Sendable, Hashable {
    public var payload: String
    public var hash: String
    public var signature: String

    /// The fields of the payload.
    public struct Payload: Codable, Sendable, Hashable {
        public var seq: Int64
        /// The previous entry's hash; 64 zeros for the first entry.
        public var prev: String
        public var kind: String
        public var timeMs: Int64
        /// The gateway's public key, hex.
        public var gateway: String
        public var body: Body
    }

    /// A receipt, an energy report or a key rotation (the others are nil).
    public struct Body: Codable, Sendable, Hashable {
        public var receipt: ComputeReceipt?
        public var energy: EnergyReport?
        public var rotation: KeyRotation?
    }

    public static let genesis = String(repeating: "0", count: 64)

    /// Canonical JSON: sorted keys, no whitespace, `/` unescaped.
    static func canonical<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field is an integer, a string or an optional of one: encoding cannot fail.
        return Array(try! encoder.encode(value))
    }

    /// The payload's signed bytes: canonical JSON (`LedgerJSON` for receipts and rotations,
    /// `JSONEncoder` for the rest; the bytes are the same).
    static func signedBytes(_ payload: Payload) -> [UInt8] { LedgerJSON.encode(payload) ?? canonical(payload) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { LedgerJSON.hex(bytes) }
}

extension LedgerEntry {
    /// The entry's sequence number (from its payload); nil if the payload does not decode.
    public var seq: Int64? {
        (LedgerJSON.decodePayload(payload) ?? (try? JSONDecoder().decode(LedgerEntry.Payload.self, from: Data(payload.utf8))))?.seq
    }

    /// The entry as one line of canonical JSON: how it is stored and published.
    public var line: [UInt8] { LedgerJSON.encode(self) ?? LedgerEntry.canonical(self) }
}
