import Foundation
import Logging

/// A swift-log handler for output that is the journal's stream (`JournalStream`): each message on
/// one line per line of it, `<N>` priority first, then the logger's label, metadata, source and
/// message — and no timestamp, as journald stamps every entry itself.
public struct JournalLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let write: @Sendable (String) -> Void

    /// - Parameter write: takes each formatted entry (with its newline); standard error by default.
    public init(label: String, logLevel: Logger.Level = .info,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.logLevel = logLevel
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(entry(event))
    }

    /// The text written for `event`: `<N>label: key=value [source] message`.
    public func entry(_ event: LogEvent) -> String {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.isEmpty ? "" : all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        return JournalStream.format("\(label): \(fields)[\(event.source)] \(event.message)", level: event.level, journal: true)
    }
}
