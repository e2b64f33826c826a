import Foundation
import PinionEmulator
import PinionUSB

/// `pinion run --simulate` as a separate process at rest: memory (from /proc/PID/smaps_rollup)
/// and CPU time (from /proc/PID/stat) over a window after it has settled.
public struct IdleRun: Sendable {
    public let rssMiB: String
    public let pssMiB: String
    public let privateMiB: String
    /// Anonymous memory (heap, stacks, written data): what the kernel cannot drop without swap,
    /// unlike the clean pages of the executable and libraries that make up the rest of RSS.
    public let anonymousMiB: String
    public let cpuFraction: Double
    public let threads: Int

    /// - Parameter powerHertz: the simulated rail monitors' sampling rate; 0 for no sensors, nil
    ///   for the simulated gateway's own configuration (100 Hz).
    public init(executable: String, powerHertz: Double?, settleSeconds: Double, measureSeconds: Double) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["run", "--simulate"]
        if let powerHertz {
            let config = directory.appendingPathComponent("pinion.toml")
            try Self.configuration(directory: directory, powerHertz: powerHertz).write(to: config, atomically: true, encoding: .utf8)
            arguments += ["--config", config.path]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let pid = process.processIdentifier
        try await Task.sleep(for: .seconds(settleSeconds))
        let before = try Self.cpuTicks(pid)
        try await Task.sleep(for: .seconds(measureSeconds))
        let after = try Self.cpuTicks(pid)
        cpuFraction = Double(after - before) / Double(sysconf(Int32(_SC_CLK_TCK))) / measureSeconds
        let memory = try Self.memoryKiB(pid)
        rssMiB = Self.mib(memory["Rss"])
        pssMiB = Self.mib(memory["Pss"])
        privateMiB = Self.mib((memory["Private_Clean"] ?? 0) + (memory["Private_Dirty"] ?? 0))
        anonymousMiB = Self.mib(memory["Anonymous"])
        threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
    }

    /// The peak RSS of `pinion version`: what the runtime and libraries alone take.
    public static func versionRSSMiB(executable: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["version"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return mib(Int(usage.ru_maxrss))
    }

    static func configuration(directory: URL, powerHertz: Double) -> String {
        var text = """
            [scheduler]
            journal = "\(directory.path)/journal.sqlite"
            [api]
            socket = "\(directory.path)/pinion.sock"
            [ledger]
            identity = "\(directory.path)/identity.pem"
            path = "\(directory.path)/ledger.jsonl"

            """
        guard powerHertz > 0 else { return text }
        text += "[sampling]\npower_hz = \(powerHertz)\ntemperature_hz = 1\n\n" + SimulatedGateway.sensorsTOML + "\n"
        return text
    }

    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")") ?? stat.startIndex)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    static func memoryKiB(_ pid: Int32) throws -> [String: Int] {
        let text = try String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, parts[0].hasSuffix(":"), let kib = Int(parts[1]) { values[String(parts[0].dropLast())] = kib }
        }
        return values
    }

    static func mib(_ kib: Int?) -> String {
        String(format: "%.1f", Double(kib ?? 0) / 1024)
    }
}
