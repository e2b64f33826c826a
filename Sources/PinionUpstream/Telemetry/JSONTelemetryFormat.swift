import Foundation

/// Telemetry as plain JSON for integrators who do not run a Sparkplug host:
/// `<prefix>/<gateway>/telemetry` for the gateway, `<prefix>/<gateway>/boards/<serial>/telemetry`
/// for a board, and `<prefix>/<gateway>/boards/<serial>/state` when a board arrives or leaves.
/// Payload: `{"timestamp": ms, "board": serial|null, "metrics": {"name": value|null}}`.
public struct JSONTelemetryFormat: Sendable {
    public let base: String

    public init(topicPrefix: String, gateway: String) {
        base = "\(topicPrefix)/\(gateway)"
    }

    public func topic(board: String?, _ leaf: String) -> String {
        board.map { "\(base)/boards/\($0)/\(leaf)" } ?? "\(base)/\(leaf)"
    }

    public func report(_ report: TelemetryReport) -> WireMessage {
        WireMessage(topic: topic(board: report.device, "telemetry"),
                    payload: Self.encode(["timestamp": report.timestampMilliseconds, "board": report.device ?? NSNull(),
                                          "metrics": Self.object(report.metrics)]))
    }

    /// `{"timestamp": ms, "state": "attached"|"detached", "metrics": {...}}` on the board's state topic.
    public func boardState(_ serial: String, attached: Bool, metrics: [TelemetryMetric], timestampMilliseconds: UInt64) -> WireMessage {
        WireMessage(topic: topic(board: serial, "state"),
                    payload: Self.encode(["timestamp": timestampMilliseconds, "state": attached ? "attached" : "detached",
                                          "metrics": Self.object(metrics)]))
    }

    static func object(_ metrics: [TelemetryMetric]) -> [String: Any] {
        Dictionary(metrics.map { metric -> (String, Any) in
            let value: Any = switch metric.value {
            case nil: NSNull()
            case .int(let value): value
            case .unsigned(let value): value
            case .double(let value): value.isFinite ? value : NSNull()
            case .bool(let value): value
            case .string(let value): value
            }
            return (metric.name, value)
        }, uniquingKeysWith: { _, last in last })
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}
