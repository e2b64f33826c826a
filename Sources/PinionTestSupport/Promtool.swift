import Foundation

/// Prometheus' own checker, `promtool check metrics`, run on a scrape: it parses the text format
/// and lints names, units, `_total` suffixes and help texts.
public enum Promtool {
    public static let path = "/usr/bin/promtool"

    /// False (the test says why, loudly) when promtool is not installed.
    public static func available() -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// What `promtool check metrics` said: exit status 0 and no output when the text is clean.
    public struct Verdict: Sendable, CustomStringConvertible {
        public var status: Int32
        public var output: String
        public var clean: Bool { status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        public var description: String { "promtool exited \(status): \(output)" }
    }

    /// Runs `promtool check metrics` with `text` on its standard input. The text and the output go
    /// through files, and the wait is the process' termination handler: no thread blocks.
    public static func checkMetrics(_ text: String) async throws -> Verdict {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-promtool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("metrics.txt"), output = directory.appendingPathComponent("output.txt")
        try Data(text.utf8).write(to: input)
        try Data().write(to: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let outputHandle = try FileHandle(forWritingTo: output)
        process.standardOutput = outputHandle
        process.standardError = outputHandle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try outputHandle.close()
        return Verdict(status: status, output: String(decoding: try Data(contentsOf: output), as: UTF8.self))
    }
}
