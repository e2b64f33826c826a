import Foundation
import Logging
import PinionController

/// Where the controller's log lines go: standard output, or standard error when standard output
/// carries JSON lines. When systemd connects that stream to the journal (`$JOURNAL_STREAM`), each
/// line carries its syslog priority (`<6>`, `<4>`, … see `JournalStream`); otherwise lines are
/// written as they are.
enum LogOutput {
    /// Whether standard output and standard error are the journal's stream, looked at once.
    private static let journal = (output: JournalStream.isConnected(descriptor: STDOUT_FILENO),
                                  error: JournalStream.isConnected(descriptor: STDERR_FILENO))

    /// Whether standard error is the journal's stream.
    static var standardErrorIsJournal: Bool { journal.error }

    /// Writes `message` (one line, or several) at `level`.
    static func write(_ message: String, level: Logger.Level = .info, toStandardError: Bool) {
        let text = JournalStream.format(message, level: level, journal: toStandardError ? journal.error : journal.output)
        (toStandardError ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
    }
}
