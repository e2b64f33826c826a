import Foundation
import PinionBoardLink
import PinionBoards
import PinionController
import PinionFirmware
import PinionUSB

/// What `pinion diag --bundle` writes for support, as JSON: the reports and self-test traces, each
/// board's descriptors and TELEMETRY, the catalogue and I2C buses, the gateway configuration with
/// secret values removed, and the controller's recent log lines from the journal.
struct DiagBundle: Encodable {
    /// One TELEMETRY reading; a figure the board does not measure (NaN) is null.
    struct Telemetry: Encodable {
        var celsius: Double?
        var watts: Double?

        init(celsius: Double, watts: Double) {
            self.celsius = celsius.isFinite ? celsius : nil
            self.watts = watts.isFinite ? watts : nil
        }
    }

    /// The configuration file as read, or why it is not here.
    struct Configuration: Encodable {
        var path: String?
        var text: String?
        var note: String?
    }

    /// Recent lines of the controller's log, or why there are none.
    struct LogExcerpt: Encodable {
        var source: String
        var lines: [String]
        var note: String?
    }

    var pinion = PinionVersion.string
    var created = ISO8601DateFormatter().string(from: Date())
    var kernel: String
    var catalogue: [String]
    var catalogueProblems: [String]
    var i2c: [String]
    var reports: [BoardReport]
    /// Each self-test with its trace, by board serial.
    var selfTests: [String: BoardSelfTestReport]
    /// Each board's descriptors as the host read them, by serial (path when it has none).
    var descriptors: [String: USBDeviceInfo]
    /// Each board's TELEMETRY (the on-board sensors), by serial.
    var telemetry: [String: Telemetry]
    var configuration: Configuration
    var log: LogExcerpt

    /// Keys whose values are removed from the configuration copy: anything naming a password,
    /// token or secret, unless it names a file (the files themselves are never copied).
    static func isSecret(key: String) -> Bool {
        let lowered = key.lowercased()
        guard !lowered.hasSuffix("_file") else { return false }
        return ["password", "token", "secret", "passphrase", "psk"].contains { lowered.contains($0) }
    }

    /// `text` with the value of every secret key (`isSecret`) replaced by `"(removed)"`.
    static func redacted(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard let equals = trimmed.firstIndex(of: "="), !trimmed.hasPrefix("#") else { return String(line) }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard isSecret(key: key) else { return String(line) }
            return "\(line[..<equals])= \"(removed)\""
        }.joined(separator: "\n")
    }

    static func configuration(path: String?, simulated: Bool) -> Configuration {
        guard let path else {
            return Configuration(note: simulated ? "the built-in simulated gateway configuration" : "no configuration file: the defaults")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return Configuration(path: path, note: "not readable by this user")
        }
        return Configuration(path: path, text: redacted(text))
    }

    /// The last `count` lines of pinion.service in the journal, when there is one.
    static func recentLog(count: Int = 200) -> LogExcerpt {
        let source = "journalctl -u pinion.service -n \(count)"
        guard let journalctl = ["/usr/bin/journalctl", "/bin/journalctl"].first(where: FileManager.default.isExecutableFile) else {
            return LogExcerpt(source: source, lines: [], note: "journalctl is not installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: journalctl)
        process.arguments = ["-u", "pinion.service", "-n", String(count), "--no-pager", "-o", "short-iso", "-q"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return LogExcerpt(source: source, lines: [], note: "journalctl could not run: \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        let note: String? = process.terminationStatus != 0 ? "journalctl exited with status \(process.terminationStatus) (is this user in group systemd-journal or adm?)"
            : lines.isEmpty ? "no lines: pinion.service has not logged to this journal" : nil
        return LogExcerpt(source: source, lines: lines, note: note)
    }
}
