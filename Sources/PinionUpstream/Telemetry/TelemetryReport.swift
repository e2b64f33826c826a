/// A value Pinion reports upstream; `nil` in a metric means "no reading" (sent as null).
public enum TelemetryValue: Sendable, Hashable {
    case int(Int64)
    case unsigned(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)

    /// The type of a value, also declared for a metric that has none yet.
    public enum Kind: Sendable, Hashable {
        case int, unsigned, double, bool, string
    }

    public var kind: Kind {
        switch self {
        case .int: .int
        case .unsigned: .unsigned
        case .double: .double
        case .bool: .bool
        case .string: .string
        }
    }
}

/// One named reading: `tasks/completed`, `power/watts`, `firmware/version`.
public struct TelemetryMetric: Sendable, Hashable {
    public var name: String
    public var kind: TelemetryValue.Kind
    public var value: TelemetryValue?

    public init(_ name: String, _ value: TelemetryValue) {
        self.name = name
        self.kind = value.kind
        self.value = value
    }

    /// A metric of `kind` with the value `value` when there is one, else null.
    public init(_ name: String, _ kind: TelemetryValue.Kind, _ value: TelemetryValue?) {
        self.name = name
        self.kind = kind
        self.value = value
    }
}

/// The readings of the gateway (`device == nil`) or of one board, taken at one time.
public struct TelemetryReport: Sendable, Hashable {
    /// The board's serial number; nil for the gateway itself.
    public var device: String?
    /// Milliseconds since the Unix epoch.
    public var timestampMilliseconds: UInt64
    public var metrics: [TelemetryMetric]

    public init(device: String?, timestampMilliseconds: UInt64, metrics: [TelemetryMetric]) {
        self.device = device
        self.timestampMilliseconds = timestampMilliseconds
        self.metrics = metrics
    }
}
