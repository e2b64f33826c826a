import Crypto
import Foundation
import PinionLedger
import PinionScheduler
import PinionSensors

/// Turns finished tasks into compute receipts and the meter's totals into energy reports, in the
/// gateway's signed ledger. A receipt is written a second after its task finished, so that the
/// rail monitors' samples around its end are integrated and its energy attributed.
///
/// A batch the ledger cannot take (a full disk) stays pending, in order, and is written by the
/// next flush that succeeds: receipts are never dropped. The first failure is logged at once,
/// then once a minute while it lasts, and the recovery when it ends; `pendingReceipts` counts them.
public actor ReceiptWriter {
    private let ledger: GatewayLedger
    private let journal: TaskJournal
    private let meter: EnergyMeter
    private let modelHashes: [String: String]
    private var waiting: [(record: TaskRecord, ready: ContinuousClock.Instant)] = []
    /// Receipts built but not yet in the ledger (the append failed): written first, in order.
    private var pending: [(id: String, record: LedgerRecord)] = []
    private let log: @Sendable (String) -> Void
    /// When the failure in progress was last logged.
    private var failureLogged: ContinuousClock.Instant?
    private var lastReport: (timeMs: Int64, boards: [String: Double], idle: [String: Double], gaps: [String: Double])
    public private(set) var receiptsWritten = 0
    private var upstream: LedgerPublisher?

    /// Every entry written from now on also goes upstream.
    public func publish(to upstream: LedgerPublisher) { self.upstream = upstream }
    public private(set) var failures: [String] = []

    /// - Parameter log: where ledger write failures and their end are reported as they happen.
    public init(ledger: GatewayLedger, journal: TaskJournal, meter: EnergyMeter, models: ModelCatalog, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.ledger = ledger
        self.log = log
        self.journal = journal
        self.meter = meter
        modelHashes = models.entries.mapValues { Self.sha256Hex($0.bytes) }
        lastReport = (Self.nowMs(), [:], [:], [:])
    }

    /// A task has its result: its receipt will be written.
    public func finished(_ record: TaskRecord) {
        waiting.append((record, .now + .seconds(1)))
    }

    /// Queues receipts for tasks the journal has done but not receipted (a previous run stopped
    /// between the two); their energy is unknown now. Returns how many.
    public func recover() async throws -> Int {
        let unmarked = try await journal.unreceipted()
        // A receipt written just before the crash, whose task was not yet marked, is not written twice.
        let inLedger = ledger.recentReceiptTasks
        let already = unmarked.filter { inLedger.contains($0.task.id) }.map(\.task.id)
        if !already.isEmpty { try await journal.markReceipted(already) }
        let missing = unmarked.filter { !inLedger.contains($0.task.id) }
        for record in missing { waiting.append((record, .now)) }
        return missing.count
    }

    /// Writes the receipts that are due (all, with `all`).
    public func flush(all: Bool = false) async {
        let now = ContinuousClock.now
        let due = waiting.prefix { all || $0.ready <= now }
        waiting.removeFirst(due.count)
        let perTask = meter.taskJoules(due.map(\.record.task.id))
        var written: [String] = []
        defer {
            if !written.isEmpty {
                let journal = journal, ids = written
                Task { try? await journal.markReceipted(ids) }
            }
        }
        var receipts = pending
        for (record, _) in due {
            guard let result = record.result else { continue }
            receipts.append((record.task.id, .receipt(ComputeReceipt(
                task: record.task.id, model: record.task.model, modelSHA256: modelHashes[record.task.model] ?? "",
                inputSHA256: Self.sha256Hex(record.task.input), outputSHA256: Self.sha256Hex(result.output), board: result.board,
                startMs: Int64((result.finishedAt - Double(result.computeMicroseconds) / 1e6) * 1000), endMs: Int64(result.finishedAt * 1000),
                microjoules: perTask[record.task.id].map { Int64(($0 * 1e6).rounded()) }))))
        }
        guard !receipts.isEmpty else { return }
        // One write and one fsync for the batch (group commit), then one outbox transaction.
        do {
            let entries = try await ledger.append(receipts.map(\.record))
            pending = []
            receiptsWritten += entries.count
            written = receipts.map(\.id)
            writing(again: entries.count)
            await sendUpstream(entries)
        } catch {
            pending = receipts
            failed("\(receipts.count) receipts wait: \(error)")
            if all { failures.append("\(receipts.count) receipts: \(error) (their tasks stay unreceipted in the journal: they are written at the next start)") }
        }
    }

    /// Receipts waiting for the ledger to take them (its appends fail).
    public var pendingReceipts: Int { pending.count }

    private func failed(_ what: String) {
        let now = ContinuousClock.now
        if failureLogged.map({ now - $0 >= .seconds(60) }) ?? true {
            log("ledger: cannot write: \(what) (retried every flush; nothing is dropped)")
            failureLogged = now
        }
    }

    private func writing(again entries: Int) {
        guard failureLogged != nil else { return }
        failureLogged = nil
        log("ledger: writing again: \(entries) entries written, none pending")
    }

    /// Adds an energy report for the time since the last one.
    public func reportEnergy() async {
        let ledgerTotals = meter.ledger
        let gaps = Dictionary(uniqueKeysWithValues: meter.rails.map { ($0.source.description, $0.gaps.reduce(0) { $0 + $1.seconds }) })
        let now = Self.nowMs()
        func delta(_ now: [String: Double], _ before: [String: Double], scale: Double) -> [String: Int64] {
            now.reduce(into: [:]) { $0[$1.key] = Int64((($1.value - (before[$1.key] ?? 0)) * scale).rounded()) }
        }
        let report = EnergyReport(fromMs: lastReport.timeMs, toMs: now, boards: delta(ledgerTotals.perBoard, lastReport.boards, scale: 1e6),
                                  idle: delta(ledgerTotals.idlePerBoard, lastReport.idle, scale: 1e6), gapMs: delta(gaps, lastReport.gaps, scale: 1e3))
        do {
            let entry = try await ledger.append(.energy(report))
            await sendUpstream([entry])
            lastReport = (now, ledgerTotals.perBoard, ledgerTotals.idlePerBoard, gaps)
        } catch {
            // The next report covers this one's period too.
            failures.append("energy report: \(error)")
            failed("energy report: \(error)")
        }
    }

    /// A failure here is caught up at the next start (the outbox knows the last entry it took).
    private func sendUpstream(_ entries: [LedgerEntry]) async {
        guard let upstream else { return }
        do { try await upstream.enqueue(entries) } catch { failures.append("outbox: \(error)") }
    }

    private static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
    private static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
