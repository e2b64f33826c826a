import Foundation
import PinionUpstream

/// A Sparkplug message as a subscriber saw it: topic, decoded payload, and the QoS it came with.
public struct SparkplugWire: CustomStringConvertible, Sendable {
    public let topic: SparkplugTopic
    /// As received; `resolvingAliases` fills in the names that data messages leave out.
    public private(set) var payload: SparkplugPayload
    public let hex: String
    /// The QoS of the delivery (lines of `-F "%t %q %x"`), nil when the line does not say.
    public let qos: Int?

    /// From a `mosquitto_sub -F "%t %x"` or `-F "%t %q %x"` line; nil for lines of other topics.
    public init?(line: String) {
        var parts = line.split(separator: " ", maxSplits: 2).map(String.init)
        if parts.count == 3, let qos = Int(parts[1]) {
            self.qos = qos
            parts.remove(at: 1)
        } else {
            qos = nil
            parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        }
        guard parts.count == 2, let topic = SparkplugTopic(parsing: parts[0]), let bytes = Self.bytes(hex: parts[1]),
              let payload = try? SparkplugPayload(serializedBytes: bytes) else { return nil }
        self.topic = topic
        self.payload = payload
        hex = parts[1]
    }

    /// The messages with each data metric's name filled in from the alias its birth declared (as a
    /// host application reads them); metrics whose alias no birth declared keep no name.
    public static func resolvingAliases(_ wires: [SparkplugWire]) -> [SparkplugWire] {
        var names: [UInt64: String] = [:]
        return wires.map { wire in
            var wire = wire
            switch wire.topic.type {
            case .nodeBirth, .deviceBirth:
                if wire.topic.type == .nodeBirth { names = [:] }
                for metric in wire.payload.metrics where metric.hasAlias { names[metric.alias] = metric.name }
            default:
                for index in wire.payload.metrics.indices where !wire.payload.metrics[index].hasName && wire.payload.metrics[index].hasAlias {
                    if let name = names[wire.payload.metrics[index].alias] { wire.payload.metrics[index].name = name }
                }
            }
            return wire
        }
    }

    public var bdSeq: UInt64? { payload.metric(named: SparkplugSession.bdSeqMetric)?.telemetryValue.flatMap { if case .unsigned(let v) = $0 { v } else { nil } } }

    public var description: String { "\(topic.type.rawValue)\(topic.device.map { "/\($0)" } ?? "") seq \(payload.hasSeq ? "\(payload.seq)" : "-")" }

    public static func bytes(hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
