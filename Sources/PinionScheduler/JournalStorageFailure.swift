import GRDB

/// A task journal error as a client should hear of it: the journal could not be read or written
/// (disk full, I/O error, read-only file), not a fault of the request.
public struct JournalStorageFailure: Sendable, CustomStringConvertible {
    /// The disk (or the database's size limit) is full: nothing more can be stored.
    public var isFull: Bool
    /// SQLite's own words, with its result code.
    public var detail: String

    /// The failure `error` stands for, or nil when it is not a database error.
    public init?(_ error: any Error) {
        guard let database = error as? DatabaseError else { return nil }
        isFull = database.resultCode == .SQLITE_FULL
        detail = "SQLite error \(database.extendedResultCode.rawValue): \(database.message ?? "\(database.resultCode)")"
    }

    public var description: String {
        isFull ? "the task journal is full (no space left to store tasks; \(detail))"
            : "the task journal cannot be read or written (\(detail))"
    }
}
