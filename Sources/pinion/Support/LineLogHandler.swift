import Foundation
import Logging

/// Log messages as plain lines, like the controller's other reports: standard output, or standard
/// error when standard output carries JSON lines; with their priority when that is the journal (`LogOutput`).
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
        LogOutput.write("\(prefix)\(event.message)", level: event.level, toStandardError: json)
    }
}
