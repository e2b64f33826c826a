import Foundation
import Logging

/// Log messages as plain lines, like the controller's other reports: standard output, or standard
/// error when standard output carries JSON lines.
struct LineLogHandler: LogHandler {
    let json: Bool
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix = event.level >= .warning ? "\(event.level): " : ""
        (json ? FileHandle.standardError : FileHandle.standardOutput).write(Data("\(prefix)\(event.message)\n".utf8))
    }
}
