import Foundation
import PinionLedger
import PinionUpstream

/// Runs ledger retention in `pinion run`: once the start's check of the whole ledger is done (it
/// reads the closed segments), then every `interval`, deletes the closed segments older than
/// `[ledger] retention_s` whose every entry the outbox says the broker acknowledged. Without an
/// outbox (no `[upstream]`) nothing is acknowledged, so nothing is deleted; a ledger whose check
/// failed is left as it is, for the operator to look at.
public enum LedgerRetentionService {
    public static func run(ledger: GatewayLedger, retentionSeconds: Double, outbox: Outbox, after startCheck: Task<Void, Never>,
                           every interval: Duration = .seconds(60), log: @escaping @Sendable (String) -> Void) async {
        await startCheck.value
        if case .failed = await ledger.health.verification {
            log("ledger: retention off: the ledger does not verify, no segment is deleted")
            while (try? await Task.sleep(for: .seconds(3600))) != nil {}
            return
        }
        let segments = LedgerSegments(activePath: ledger.path)
        repeat {
            do {
                let acknowledged = try await outbox.ledgerAcknowledged()
                for deletion in try LedgerRetention.prune(segments, retentionSeconds: retentionSeconds, acknowledged: acknowledged) {
                    log("ledger: \(deletion)")
                }
            } catch {
                log("ledger: retention failed: \(error)")
            }
        } while (try? await Task.sleep(for: interval)) != nil
    }
}
