import PinionLedger

/// The signed ledger at a scrape: entries written, appends that failed, receipts waiting for
/// the ledger, and whether its chain verified. A full disk shows here at the first failed write.
public struct LedgerMetricsSource: MetricsSource {
    public let ledger: GatewayLedger
    public let receipts: ReceiptWriter

    public init(ledger: GatewayLedger, receipts: ReceiptWriter) {
        self.ledger = ledger
        self.receipts = receipts
    }

    public func samples() async -> [MetricSample] {
        let health = await ledger.health
        let pending = await receipts.pendingReceipts
        var samples = [
            MetricSample(.ledgerEntriesWritten, [], Double(health.entriesWritten)),
            MetricSample(.ledgerAppendFailures, [], Double(health.failedAppends)),
            MetricSample(.ledgerPendingReceipts, [], Double(pending)),
            MetricSample(.ledgerWriting, [], health.lastFailure == nil && !health.refused ? 1 : 0),
        ]
        switch health.verification {
        case .verified: samples.append(MetricSample(.ledgerChainVerified, [], 1))
        case .failed: samples.append(MetricSample(.ledgerChainVerified, [], 0))
        case .notChecked, .checking: break
        }
        return samples
    }
}

/// `pinion status`'s ledger line, from the ledger metrics of a `GET /metrics` answer.
public enum LedgerStatusLine {
    /// nil when the answer has no ledger metrics (a controller without a ledger, or older).
    public static func from(metrics text: String) -> String? {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("pinion_ledger_") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        guard let written = values[PinionMetric.ledgerEntriesWritten.name], let writing = values[PinionMetric.ledgerWriting.name] else { return nil }
        let failures = Int(values[PinionMetric.ledgerAppendFailures.name] ?? 0)
        let pending = Int(values[PinionMetric.ledgerPendingReceipts.name] ?? 0)
        let chain = switch values[PinionMetric.ledgerChainVerified.name] {
        case 1: "chain verified"
        case 0: "CHAIN DOES NOT VERIFY (see the controller's log)"
        default: "chain being verified"
        }
        let state = writing == 1 ? "writing" : "NOT WRITING: \(pending) receipts pending, \(failures) failed appends (see the controller's log)"
        return "ledger: \(state); \(Int(written)) entries written since start; \(chain)"
    }
}
