import Foundation

/// The ledger file as `GatewayLedger` writes it: bytes go at the end of what is committed, and a
/// write or fsync that fails is undone (the file is cut back to its committed length), so that a
/// full disk never leaves half an entry for later entries to be appended behind.
final class LedgerFile {
    let path: String
    private let fd: Int32
    /// The length of the file's durable, whole entries.
    private(set) var committedLength: UInt64
    /// A failed write could not be cut back: it is cut back before the next write.
    private var cutPending = false

    /// Opens the file and locks it against other writers (another `pinion run`, `pinion identity
    /// rotate`): whatever it finds at the end is then not a write in progress. Commits go after
    /// `committedLength`, to be set once the file's end has been checked.
    init(path: String) throws(LedgerError) {
        self.path = path
        // Not O_APPEND: every write goes at `committedLength`, whatever a failed one left after it.
        fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError(entry: nil, "cannot open the ledger \(path) for writing: \(Self.lastError())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another process is writing it (a running `pinion run`?)" : Self.lastError()
            close(fd)
            throw LedgerError(entry: nil, "the ledger \(path) cannot be locked: \(reason)")
        }
        committedLength = 0
    }

    /// Where the next commit goes: the end of the file's last whole, checked entry.
    func start(at length: UInt64) { committedLength = length }

    deinit { close(fd) }

    /// Cuts the file back to `length` and makes that durable (dropping a torn tail at open).
    func cut(to length: UInt64) throws(LedgerError) {
        guard ftruncate(fd, off_t(length)) == 0, fsync(fd) == 0 else {
            throw LedgerError(entry: nil, "\(path): cannot cut the file back to \(length) bytes: \(Self.lastError())")
        }
        committedLength = length
    }

    /// Writes `bytes` after the committed length and fsyncs them. On failure the file is cut
    /// back to the committed length and the error says what happened.
    func commit(_ bytes: [UInt8], entries: Int) throws(LedgerError) {
        if cutPending {
            guard ftruncate(fd, off_t(committedLength)) == 0 else {
                throw LedgerError(entry: nil, "\(path): a failed write is still in the file and cannot be cut back: \(Self.lastError())")
            }
            cutPending = false
        }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + written, $0.count - written, off_t(committedLength) + off_t(written)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw undo("writing \(entries) entries (\(bytes.count) bytes) failed after \(written) bytes: \(Self.lastError())") }
            written += count
        }
        guard fsync(fd) == 0 else { throw undo("fsync of \(entries) entries failed: \(Self.lastError())") }
        committedLength += UInt64(bytes.count)
    }

    private func undo(_ what: String) -> LedgerError {
        let cut = ftruncate(fd, off_t(committedLength)) == 0
        if cut { _ = fsync(fd) } else { cutPending = true }
        return LedgerError(entry: nil, "\(path): \(what); " + (cut ? "the file is back at its last whole entry (\(committedLength) bytes), nothing was added"
                                                                    : "the file could not be cut back (\(Self.lastError())): that is retried before the next write"))
    }

    private static func lastError() -> String { "\(String(cString: strerror(errno))) (errno \(errno))" }
}
