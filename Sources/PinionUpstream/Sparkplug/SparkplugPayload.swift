import Foundation
import SwiftProtobuf

/// The Sparkplug B payload type, generated from Eclipse Tahu's sparkplug_b.proto
/// (scripts/generate-sparkplug).
public typealias SparkplugPayload = Org_Eclipse_Tahu_Protobuf_Payload

/// Sparkplug B data type codes (Sparkplug 3.0, section 6.4.16) of the kinds Pinion sends.
public enum SparkplugDataType {
    public static let int64: UInt32 = 4
    public static let uint64: UInt32 = 8
    public static let double: UInt32 = 10
    public static let boolean: UInt32 = 11
    public static let string: UInt32 = 12

    public static func code(of kind: TelemetryValue.Kind) -> UInt32 {
        switch kind {
        case .int: int64
        case .unsigned: uint64
        case .double: double
        case .bool: boolean
        case .string: string
        }
    }
}

extension SparkplugPayload {
    /// A payload of `metrics` stamped at `timestampMilliseconds`; `seq` is set when published.
    public init(metrics: [TelemetryMetric], timestampMilliseconds: UInt64) {
        self.init()
        timestamp = timestampMilliseconds
        self.metrics = metrics.map { Metric($0, timestampMilliseconds: timestampMilliseconds) }
    }

    /// The metric named `name`, if any.
    public func metric(named name: String) -> Metric? { metrics.first { $0.name == name } }
}

extension SparkplugPayload.Metric {
    init(_ metric: TelemetryMetric, timestampMilliseconds: UInt64) {
        self.init()
        name = metric.name
        timestamp = timestampMilliseconds
        datatype = SparkplugDataType.code(of: metric.kind)
        switch metric.value {
        case nil: isNull = true
        case .int(let value): longValue = UInt64(bitPattern: value)
        case .unsigned(let value): longValue = value
        case .double(let value): doubleValue = value
        case .bool(let value): booleanValue = value
        case .string(let value): stringValue = value
        }
    }

    /// The metric's value as Pinion's type (nil when null or of a type Pinion does not send).
    public var telemetryValue: TelemetryValue? {
        if isNull { return nil }
        switch value {
        case .longValue(let raw): return datatype == SparkplugDataType.int64 ? .int(Int64(bitPattern: raw)) : .unsigned(raw)
        case .intValue(let raw): return .unsigned(UInt64(raw))
        case .doubleValue(let raw): return .double(raw)
        case .floatValue(let raw): return .double(Double(raw))
        case .booleanValue(let raw): return .bool(raw)
        case .stringValue(let raw): return .string(raw)
        default: return nil
        }
    }
}
