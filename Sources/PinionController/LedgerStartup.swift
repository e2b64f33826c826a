import Foundation
import PinionFirmware
import PinionLedger

/// How `pinion run` opens the gateway's identity and ledger: it never makes a new key for a
/// ledger that has entries, logs what the open dropped (a torn final line), and verifies the
/// whole file in the background, logging the verdict.
public enum LedgerStartup {
    /// The identity at `identityPath` and the ledger at `ledgerPath`, opened. A missing identity
    /// is created (mode 0600) only when the ledger has no entries yet.
    public static func open(identityPath: String, ledgerPath: String, segmentMaxBytes: UInt64? = nil,
                            log: @escaping @Sendable (String) -> Void) throws -> (identity: FirmwareSigningKey, ledger: GatewayLedger) {
        if !FileManager.default.fileExists(atPath: identityPath), let signer = try GatewayLedger.lastSigner(path: ledgerPath) {
            throw LedgerError(entry: nil, """
                the identity \(identityPath) is missing, but the ledger \(ledgerPath) has entries signed by gateway \(signer.prefix(16))…: \
                a new key would continue a chain it did not sign, so none is made. Restore the identity file from a backup (its public key \
                is \(signer)), or start a new ledger deliberately: move \(ledgerPath) aside and start again (the new key is a new gateway)
                """)
        }
        let identity = try GatewayIdentity.loadOrCreate(path: identityPath) { log("created the gateway identity \(identityPath) (mode 0600)") }
        let ledger: GatewayLedger
        do {
            ledger = try GatewayLedger(path: ledgerPath, identity: identity, segmentMaxBytes: segmentMaxBytes)
        } catch {
            throw LedgerError(entry: nil, "ledger \(ledgerPath): \(error)")
        }
        if let dropped = ledger.droppedTail {
            log("ledger: dropped a torn final line (\(dropped.bytes) bytes at byte \(dropped.offset), an append a crash or power cut interrupted); kept in \(dropped.keptIn)")
        }
        return (identity, ledger)
    }

    /// Verifies the whole ledger file on a low-priority thread and logs the verdict; a chain that
    /// does not verify gets no more entries.
    public static func verifyInBackground(_ ledger: GatewayLedger, log: @escaping @Sendable (String) -> Void) -> Task<Void, Never> {
        Task {
            let started = ContinuousClock.now
            switch await ledger.verifyWholeFile() {
            case .verified(let entries):
                log("ledger: the whole file verified (\(entries) entries before this start, \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))))")
            case .failed(let error):
                log("ledger: THE CHAIN DOES NOT VERIFY: \(error); no entries are added (receipts wait in the journal): check it with `pinion ledger verify \(ledger.path)`, keep what verifies with `pinion ledger repair \(ledger.path)`")
            case .notChecked, .checking:
                break
            }
        }
    }
}

/// The gateway's Ed25519 identity file.
public enum GatewayIdentity {
    /// The identity at `path`, generated and written (mode 0600) first if the file does not exist.
    public static func loadOrCreate(path: String, created: () -> Void = {}) throws -> FirmwareSigningKey {
        if FileManager.default.fileExists(atPath: path) { return try FirmwareSigningKey.load(path: path) }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let identity = FirmwareSigningKey.generate(name: "gateway")
        try identity.write(toPath: path)
        created()
        return identity
    }
}
