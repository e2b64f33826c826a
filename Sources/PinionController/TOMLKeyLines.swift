import Foundation

/// Where each key of a TOML file is written: its dotted path as `TOMLReader` names it
/// (`upstream.outbox_max_mb`, `sensors[1].address`) and its line, so that a problem found in the
/// parsed table can say the line as well. Reads only the plain forms a configuration file uses
/// (`[table]`, `[[array]]`, `key = value`); a key it cannot place just has no line.
struct TOMLKeyLines {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                let position = arrayCounts[name, default: 0]
                arrayCounts[name] = position + 1
                table = "\(name)[\(position)]"
                lines[table] = lines[table] ?? index + 1
            } else if line.hasPrefix("[") {
                table = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                lines[table] = lines[table] ?? index + 1
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                let path = table.isEmpty ? key : "\(table).\(key)"
                lines[path] = lines[path] ?? index + 1
            }
        }
    }

    /// The line (from 1) of the key or table at `path`, if the file writes it.
    func line(of path: String) -> Int? { lines[path] }
}
