/// Every telemetry payload format `[upstream] telemetry` may name, in the order errors list them:
/// a new format is its own file (its `TelemetryPayloadFormat` and `TelemetryPayload`) and one line here.
public enum TelemetryPayloadFormats {
    public static let all: [TelemetryPayloadFormat] = [
        .sparkplug,
        .json,
        .off,
    ]

    /// The names, in `all`'s order.
    public static var names: [String] { all.map(\.name) }

    /// The names as a sentence lists them: `sparkplug, json or off`.
    public static var namesInProse: String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }

    /// The format of that name; nil for none.
    public static func named(_ name: String) -> TelemetryPayloadFormat? {
        all.first { $0.name == name }
    }
}
