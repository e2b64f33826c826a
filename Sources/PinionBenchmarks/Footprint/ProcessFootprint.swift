import Foundation

/// One process's memory and CPU time as the kernel reports them: memory from
/// /proc/PID/smaps_rollup, CPU time (every thread's user and system time) from /proc/PID/stat.
public struct ProcessFootprint: Sendable {
    /// Resident set size, KiB: every page in memory, clean file-backed pages of the binary and
    /// the libraries included (the kernel drops those under pressure and reads them back).
    public let rssKiB: Int
    /// Proportional set size, KiB: shared pages divided among the processes sharing them.
    public let pssKiB: Int
    /// Anonymous memory, KiB: heap, stacks and written data, which cannot be dropped without swap.
    public let anonymousKiB: Int
    /// Private dirty pages, KiB: written pages no other process shares.
    public let privateDirtyKiB: Int
    /// User plus system time of every thread so far, in clock ticks.
    public let cpuTicks: Int

    /// Reads both files of `pid`; an error when the process is gone.
    public init(pid: Int32) throws {
        let memory = try Self.smapsRollup(pid)
        rssKiB = memory["Rss"] ?? 0
        pssKiB = memory["Pss"] ?? 0
        anonymousKiB = memory["Anonymous"] ?? 0
        privateDirtyKiB = memory["Private_Dirty"] ?? 0
        cpuTicks = try Self.cpuTicks(pid)
    }

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of `cpuTicks`.
    public static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The fraction of one core `pid` used between two readings `seconds` apart.
    public static func coreFraction(from before: ProcessFootprint, to after: ProcessFootprint, seconds: Double) -> Double {
        Double(after.cpuTicks - before.cpuTicks) / ticksPerSecond / seconds
    }

    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")") ?? stat.startIndex)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw FootprintError("/proc/\(pid)/stat has no utime and stime fields: \(stat.prefix(80))")
        }
        return user + system
    }

    static func smapsRollup(_ pid: Int32) throws -> [String: Int] {
        let text = try String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, parts[0].hasSuffix(":"), let kib = Int(parts[1]) { values[String(parts[0].dropLast())] = kib }
        }
        guard values["Rss"] != nil else { throw FootprintError("/proc/\(pid)/smaps_rollup has no Rss line") }
        return values
    }

    /// KiB as MiB with one decimal.
    public static func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}

/// A footprint run that could not go on: one line saying what and where.
public struct FootprintError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
