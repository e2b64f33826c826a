import Foundation
import TOMLKit

/// Reads one TOML table while tracking the key path, so every error names file and key,
/// and the keys read, so a misspelt key is an error instead of silently ignored. Used for the
/// board catalogue and the gateway configuration alike.
public final class TOMLReader {
    public let table: TOMLTable
    public let file: String
    public let path: String
    private var used: Set<String> = []

    public init(_ table: TOMLTable, file: String, path: String = "") {
        self.table = table
        self.file = file
        self.path = path
    }

    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func error(_ key: String, _ message: String) -> CatalogueError {
        CatalogueError(file: file, key: keyPath(key), message: message)
    }

    private func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    private func typeName(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number"
        case .bool: "a boolean"
        case .table: "a table"
        case .array: "an array"
        default: "a date or time"
        }
    }

    private func wrongType(_ key: String, _ expected: String, _ value: TOMLValueConvertible) -> CatalogueError {
        error(key, "expected \(expected), got \(typeName(value))")
    }

    public func string(_ key: String) throws(CatalogueError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else { throw wrongType(key, "a string", value) }
        return string
    }

    public func requiredString(_ key: String) throws(CatalogueError) -> String {
        guard let string = try string(key) else { throw error(key, "missing (required)") }
        guard !string.isEmpty else { throw error(key, "must not be empty") }
        return string
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws(CatalogueError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let int = value.int else { throw wrongType(key, "an integer", value) }
        guard range.contains(int) else { throw error(key, "\(int) is out of range \(range.lowerBound)...\(range.upperBound)") }
        return int
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int>) throws(CatalogueError) -> Int {
        guard let int = try int(key, in: range) else { throw error(key, "missing (required)") }
        return int
    }

    /// A number; integers are accepted (`5` for `5.0`).
    public func double(_ key: String, positive: Bool = true) throws(CatalogueError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let double = value.double ?? value.int.map(Double.init) else { throw wrongType(key, "a number", value) }
        guard double.isFinite, !positive || double > 0 else { throw error(key, "must be greater than 0, got \(double)") }
        return double
    }

    public func bool(_ key: String) throws(CatalogueError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.bool else { throw wrongType(key, "true or false", value) }
        return bool
    }

    public func stringArray(_ key: String) throws(CatalogueError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else { throw wrongType(key, "an array of strings", value) }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else { throw error("\(key)[\(index)]", "expected a string, got \(typeName(element))") }
            strings.append(string)
        }
        return strings
    }

    public func stringTable(_ key: String) throws(CatalogueError) -> [String: String]? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw wrongType(key, "a table of strings", value) }
        var strings: [String: String] = [:]
        for name in table.keys {
            guard let string = table[name]?.string else { throw error("\(key).\(name)", "expected a string") }
            strings[name] = string
        }
        return strings
    }

    public func table(_ key: String) throws(CatalogueError) -> TOMLReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw wrongType(key, "a table", value) }
        return TOMLReader(table, file: file, path: keyPath(key))
    }

    /// An array of tables (`[[key]]` or an inline array of inline tables).
    public func tables(_ key: String) throws(CatalogueError) -> [TOMLReader] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else { throw wrongType(key, "an array of tables", value) }
        var readers: [TOMLReader] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else { throw error("\(key)[\(index)]", "expected a table, got \(typeName(element))") }
            readers.append(TOMLReader(table, file: file, path: "\(keyPath(key))[\(index)]"))
        }
        return readers
    }

    /// Rejects keys nobody read: misspellings and keys from another schema version.
    public func finish() throws(CatalogueError) {
        if let unknown = table.keys.sorted().first(where: { !used.contains($0) }) {
            throw error(unknown, "unknown key")
        }
    }
}

extension TOMLReader {
    /// The text of the TOML file at `path`; an unreadable file is an error naming it.
    public static func text(of path: String) throws(CatalogueError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CatalogueError(file: path, key: "", message: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Parses `text` (the contents of `file`); a syntax error names its line and column.
    public static func parse(_ text: String, file: String) throws(CatalogueError) -> TOMLReader {
        if let bad = TOMLPrecheck.firstProblem(in: text) {
            throw CatalogueError(file: file, key: "line \(bad.line), column \(bad.column)", message: "TOML syntax error: \(bad.problem)")
        }
        do {
            return TOMLReader(try TOMLTable(string: text), file: file)
        } catch let error as TOMLParseError {
            throw CatalogueError(file: file, key: "line \(error.source.begin.line), column \(error.source.begin.column)",
                                 message: "TOML syntax error: \(error.description)")
        } catch {
            throw CatalogueError(file: file, key: "", message: "TOML syntax error: \(error)")
        }
    }
}
