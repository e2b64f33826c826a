import Foundation
import PinionFirmware
import PinionLedger
import PinionSystem

/// The ledger's own hot paths, without the outbox or a broker: durable appends (signed,
/// hash-chained, written and fsync'd by `GatewayLedger`, in groups of `batch` entries per call)
/// and the offline check `pinion ledger verify` runs (`LedgerVerifier.verify(ledger:)`). Small
/// enough to run under callgrind (scripts/ledger-callgrind), whose instruction counts measure a
/// change on a noisy machine where the wall clock cannot.
public enum LedgerCostRun {
    /// A receipt like the controller writes (hashes as hex, board serial, energy).
    public static func receipt(_ index: Int) -> LedgerRecord {
        .receipt(ComputeReceipt(task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                board: "EMU-S-0001", startMs: 1_700_000_000_000, endMs: 1_700_000_000_002, microjoules: 1234))
    }

    /// Appends `entries` receipts to a new ledger at `path` in calls of `batch` records (each call
    /// is one write and one fsync, durable when it returns) and returns the seconds it took and
    /// the gateway's public key (hex).
    public static func append(path: String, entries: Int, batch: Int) async throws -> (seconds: Double, gateway: String) {
        let ledger = try GatewayLedger(path: path, identity: FirmwareSigningKey.generate(name: "bench"))
        let start = ContinuousClock.now
        var written = 0
        while written < entries {
            let count = min(batch, entries - written)
            try await ledger.append((written..<written + count).map(receipt))
            written += count
        }
        return ((ContinuousClock.now - start).inSeconds, await ledger.publicKeyHex)
    }

    /// Verifies the ledger at `path` as `pinion ledger verify` does and returns the entries
    /// checked and the seconds it took.
    public static func verify(path: String, gateway: String?) throws -> (entries: Int, seconds: Double) {
        let start = ContinuousClock.now
        let checked = try LedgerVerifier.verify(ledger: path, gatewayKey: gateway)
        return (checked.summary.entries, (ContinuousClock.now - start).inSeconds)
    }
}
