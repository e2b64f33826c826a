import Foundation
import PinionFirmware
import PinionLedger

/// `pinion identity rotate`: moves the gateway's ledger to a new key. The rotation entry, signed
/// by the old key, names the new one; every later entry is signed by the new key.
public enum IdentityRotation {
    /// What a rotation did.
    public struct Outcome: Sendable {
        public var entry: LedgerEntry
        public var oldKey: String
        public var newKey: String
        /// Where the old private key now is (renamed, not deleted).
        public var retiredKey: String
    }

    /// Rotates the identity at `identityPath` to a new key and records it in the ledger at
    /// `ledgerPath`. The controller must be stopped (the ledger is locked while it runs).
    ///
    /// Order, for a crash at any point: the new key is written to `<identity>.new` first, then the
    /// rotation entry is appended (fsync'd), then the old key is renamed to
    /// `<identity>.retired-<first 16 hex digits>` and the new one takes its name.
    public static func rotate(identityPath: String, ledgerPath: String) async throws -> Outcome {
        guard FileManager.default.fileExists(atPath: identityPath) else {
            throw LedgerError(entry: nil, "no identity at \(identityPath): a rotation is signed by the old key, so it needs it. Restore it from a backup, "
                              + "or start a new ledger deliberately: move \(ledgerPath) aside and start pinion run (the new key is a new gateway)")
        }
        let old = try FirmwareSigningKey.load(path: identityPath)
        let staged = identityPath + ".new"
        let new = FirmwareSigningKey.generate(name: "gateway")
        try new.write(toPath: staged)
        let entry: LedgerEntry
        do {
            let ledger = try GatewayLedger(path: ledgerPath, identity: old)
            entry = try await ledger.rotate(to: new)
        } catch {
            try? FileManager.default.removeItem(atPath: staged)
            throw error
        }
        let retired = "\(identityPath).retired-\(old.publicKey.hex.prefix(16))"
        guard rename(identityPath, retired) == 0, rename(staged, identityPath) == 0 else {
            throw LedgerError(entry: nil, "the ledger records the rotation (seq \(entry.seq ?? -1)), but the key files could not be renamed "
                              + "(\(String(cString: strerror(errno)))): the new key is \(staged), make it \(identityPath) by hand")
        }
        return Outcome(entry: entry, oldKey: old.publicKey.hex, newKey: new.publicKey.hex, retiredKey: retired)
    }
}
