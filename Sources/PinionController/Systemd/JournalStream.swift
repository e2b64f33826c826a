import Glibc
import Logging

/// Whether a file descriptor is systemd's journal stream, and log lines for it.
///
/// systemd sets `$JOURNAL_STREAM` to `DEVICE:INODE` of the stream it connects a service's
/// standard output and error to. As `sd_journal_stream_fd(3)` and systemd.exec(5) say, a program
/// compares that with `fstat` of the descriptor it writes to (it may have been redirected since)
/// and, when they match, writes each line with a `<N>` syslog priority prefix, which journald
/// takes as the entry's priority and strips. journald also stamps each entry's time, so lines
/// carry no timestamp of their own (Pinion's lines carry none either way).
public enum JournalStream {
    /// True when `descriptor` is the stream `$JOURNAL_STREAM` (`journalStream`) names.
    public static func isConnected(descriptor: Int32, journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// `isConnected(descriptor:journalStream:)` with this process's `$JOURNAL_STREAM`.
    public static func isConnected(descriptor: Int32) -> Bool {
        isConnected(descriptor: descriptor, journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) })
    }

    /// The syslog priority journald files a line of `level` under: trace and debug 7, info 6,
    /// notice 5, warning 4, error 3, critical 2.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `message` as written to the output: for the journal, each of its lines with the priority
    /// prefix (journald reads a prefix per line); otherwise as it is. Ends with a newline.
    public static func format(_ message: String, level: Logger.Level, journal: Bool) -> String {
        guard journal else { return message + "\n" }
        let prefix = "<\(priority(of: level))>"
        return message.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 + "\n" }.joined()
    }
}
