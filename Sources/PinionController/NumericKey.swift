import PinionBoards

/// A numeric key of the gateway configuration with the range it must be in: every numeric key is
/// read through one of these (`TOMLReader.number(_:)`), so no value can reach an integer
/// conversion or a `Duration` out of range, and docs/configuration.md lists the same table.
public struct NumericKey: Sendable, Hashable {
    /// The table (`upstream`), or `sensors[]` for every `[[sensors]]` entry.
    public let section: String
    public let name: String
    public let range: ClosedRange<Double>
    public let unit: String
    /// Only whole numbers (a port).
    public let integer: Bool

    public init(_ section: String, _ name: String, _ range: ClosedRange<Double>, _ unit: String, integer: Bool = false) {
        self.section = section
        self.name = name
        self.range = range
        self.unit = unit
        self.integer = integer
    }

    /// `upstream.outbox_max_mb`.
    public var path: String { "\(section).\(name)" }

    /// `0.1...1048576`.
    public var rangeText: String { "\(Self.text(range.lowerBound))...\(Self.text(range.upperBound))" }

    /// Why `value` cannot be this key's, or nil when it can.
    public func problem(_ value: Double) -> String? {
        guard !value.isFinite || !range.contains(value) || (integer && value.rounded() != value) else { return nil }
        return "expected \(integer ? "an integer" : "a number") in \(rangeText) (\(unit)), got \(Self.text(value))"
    }

    /// `64` for 64.0, `0.5`, `1e+300`: how values are written in messages and `pinion config check`.
    public static func text(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

extension NumericKey {
    public static let powerHertz = NumericKey("sampling", "power_hz", 0.1...10_000, "Hz")
    public static let temperatureHertz = NumericKey("sampling", "temperature_hz", 0.01...100, "Hz")
    public static let maximumGapSeconds = NumericKey("sampling", "max_gap_s", 0.0002...3600, "s")
    public static let powerBudgetWatts = NumericKey("scheduler", "power_budget_w", 0.1...100_000, "W")
    public static let keepFinishedHours = NumericKey("scheduler", "keep_finished_hours", 0...87_600, "h")
    public static let maxConnections = NumericKey("api", "max_connections", 1...100_000, "connections per listener", integer: true)
    public static let idleTimeoutSeconds = NumericKey("api", "idle_timeout_s", 0.1...86_400, "s")
    public static let bodyTimeoutSeconds = NumericKey("api", "body_timeout_s", 0.1...86_400, "s")
    public static let energyReportSeconds = NumericKey("ledger", "energy_report_s", 1...86_400, "s")
    public static let segmentMaxBytes = NumericKey("ledger", "segment_max_bytes", 4096...1_099_511_627_776, "bytes", integer: true)
    public static let retentionSeconds = NumericKey("ledger", "retention_s", 0...315_576_000, "s")
    public static let upstreamPort = NumericKey("upstream", "port", 1...65_535, "TCP port", integer: true)
    public static let outboxMaxMegabytes = NumericKey("upstream", "outbox_max_mb", 0.1...1_048_576, "MiB")
    public static let outboxMaxAgeHours = NumericKey("upstream", "outbox_max_age_hours", 0.1...87_600, "h")
    public static let telemetrySeconds = NumericKey("upstream", "telemetry_interval_s", 0.1...86_400, "s")
    public static let tasksMaxBytes = NumericKey("upstream", "tasks_max_bytes", 64...268_435_456, "bytes", integer: true)
    public static let sessionExpirySeconds = NumericKey("upstream", "session_expiry_s", 0...4_294_967_295, "s", integer: true)
    public static let shuntOhms = NumericKey("sensors[]", "shunt_ohms", 0.0001...100, "Ω")
    public static let maxCurrentAmperes = NumericKey("sensors[]", "max_current_a", 0.001...1000, "A")

    /// Every numeric key, in the order of docs/configuration.md.
    public static let all: [NumericKey] = [
        powerHertz, temperatureHertz, maximumGapSeconds, powerBudgetWatts, keepFinishedHours, maxConnections, idleTimeoutSeconds,
        bodyTimeoutSeconds, energyReportSeconds, segmentMaxBytes, retentionSeconds, upstreamPort, outboxMaxMegabytes, outboxMaxAgeHours, telemetrySeconds, tasksMaxBytes,
        sessionExpirySeconds,
        shuntOhms, maxCurrentAmperes,
    ]
}

extension TOMLReader {
    /// The number at `key` (integers accepted for numbers), or nil when absent; a value of another
    /// type, out of the key's range or not finite is an error naming the file and the key.
    public func number(_ key: NumericKey) throws(CatalogueError) -> Double? {
        if let raw = table[key.name]?.double, !raw.isFinite {
            _ = try? double(key.name, positive: false)
            throw error(key.name, key.problem(raw) ?? "not finite")
        }
        let value = key.integer ? try int(key.name, in: Int.min...Int.max).map(Double.init) : try double(key.name, positive: false)
        guard let value else { return nil }
        if let problem = key.problem(value) { throw error(key.name, problem) }
        return value
    }

    /// `number(key)` for a key of whole numbers.
    public func integer(_ key: NumericKey) throws(CatalogueError) -> Int? {
        try number(key).map { Int($0) }
    }
}
