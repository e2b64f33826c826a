import Foundation
import PinionUpstream

/// A Sparkplug message as a subscriber saw it: topic and decoded payload.
public struct SparkplugWire: CustomStringConvertible, Sendable {
    public let topic: SparkplugTopic
    public let payload: SparkplugPayload
    public let hex: String

    /// From a `mosquitto_sub -F "%t %x"` line; nil for lines of other topics.
    public init?(line: String) {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let topic = SparkplugTopic(parsing: parts[0]), let bytes = Self.bytes(hex: parts[1]),
              let payload = try? SparkplugPayload(serializedBytes: bytes) else { return nil }
        self.topic = topic
        self.payload = payload
        hex = parts[1]
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
