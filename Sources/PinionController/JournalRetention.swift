import Foundation
import PinionScheduler

/// Keeps the task journal to `[scheduler] keep_finished_hours` of finished tasks: at start and
/// then every `interval`, tasks that finished longer ago and need nothing more (receipted or
/// failed) are deleted, so a gateway's journal stops growing with every task it ever ran.
public enum JournalRetention {
    /// Runs until cancelled; does nothing when `keepHours` is 0 (keep for ever).
    public static func run(journal: TaskJournal, keepHours: Double, every interval: Duration = .seconds(3600),
                           log: @escaping @Sendable (String) -> Void) async {
        guard keepHours > 0 else { return }
        while !Task.isCancelled {
            do {
                let forgotten = try await journal.forget(finishedBefore: Date().timeIntervalSince1970 - keepHours * 3600)
                if forgotten > 0 { log("journal: forgot \(forgotten) finished tasks older than \(keepHours == keepHours.rounded() ? "\(Int(keepHours))" : "\(keepHours)") h") }
            } catch {
                log("journal: could not forget finished tasks: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
