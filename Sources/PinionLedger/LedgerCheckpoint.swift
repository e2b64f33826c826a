import Crypto
import Foundation
import PinionFirmware

/// A signed statement written at each segment boundary of a segmented ledger: the entry at `seq`
/// has hash `hash`, and `gateway` signs the entries after it. The segment that starts at
/// `seq + 1` verifies on its own from it, even once the segments before it are deleted.
///
/// Stored as one line, `<segments>/<seq + 1, 20 digits>.checkpoint`:
///
///     {"checkpoint":"<canonical JSON of gateway, hash, seq, timeMs>","signature":"<base64 Ed25519 of it>"}
public struct LedgerCheckpoint: Codable, Sendable, Hashable {
    /// The exact signed bytes.
    public var checkpoint: String
    public var signature: String

    /// What a checkpoint says.
    public struct Payload: Codable, Sendable, Hashable {
        /// The key that signs the entries after `seq` (after a rotation at `seq`, its new key), hex.
        public var gateway: String
        /// The hash of the entry at `seq`.
        public var hash: String
        public var seq: Int64
        /// When the segment ending at `seq` was closed, Unix ms.
        public var timeMs: Int64
    }

    /// A checkpoint of the entry at `seq` with hash `hash`, signed by `key`.
    public static func make(seq: Int64, hash: String, timeMs: Int64, key: FirmwareSigningKey) -> LedgerCheckpoint {
        let bytes = LedgerEntry.canonical(Payload(gateway: key.publicKey.hex, hash: hash, seq: seq, timeMs: timeMs))
        return LedgerCheckpoint(checkpoint: String(decoding: bytes, as: UTF8.self), signature: Data(key.signature(for: bytes)).base64EncodedString())
    }

    /// The payload, once its signature by the key it names verifies (and that key is `expectedKey`, when given).
    public func verified(expectedKey: String? = nil, path: String) throws(LedgerError) -> Payload {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(checkpoint.utf8)) else {
            throw LedgerError(entry: nil, "\(path): not a ledger checkpoint")
        }
        if let expectedKey, expectedKey != payload.gateway {
            throw LedgerError(entry: nil, "\(path): the checkpoint is signed as gateway \(payload.gateway.prefix(16))…, the ledger is gateway \(expectedKey.prefix(16))…")
        }
        guard let raw = LedgerVerifier.hexBytes(payload.gateway), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
              let signature = Data(base64Encoded: self.signature), key.isValidSignature(signature, for: Data(checkpoint.utf8)) else {
            throw LedgerError(entry: nil, "\(path): the checkpoint's signature does not verify with gateway key \(payload.gateway.prefix(16))…")
        }
        return payload
    }

    /// Reads the checkpoint at `path`.
    public static func read(path: String) throws(LedgerError) -> LedgerCheckpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw LedgerError(entry: nil, "cannot read the checkpoint \(path)") }
        guard let checkpoint = try? JSONDecoder().decode(LedgerCheckpoint.self, from: data) else {
            throw LedgerError(entry: nil, "\(path): not a ledger checkpoint")
        }
        return checkpoint
    }

    /// Writes it to `path` durably: a temporary file, fsync'd, renamed over `path`, and the
    /// directory fsync'd. On failure nothing is left at `path` that was not there before.
    func write(to path: String) throws(LedgerError) {
        let temporary = path + ".tmp"
        let bytes = LedgerEntry.canonical(self) + [0x0A]
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw LedgerError(entry: nil, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        let synced = written == bytes.count && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw LedgerError(entry: nil, "cannot write the checkpoint \(path): \(reason)")
        }
        LedgerSegments.syncDirectory(of: path)
    }
}
