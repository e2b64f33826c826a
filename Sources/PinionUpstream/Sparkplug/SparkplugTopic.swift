/// A Sparkplug B topic: `spBv1.0/<group>/<type>/<edge node>[/<device>]`.
public struct SparkplugTopic: Sendable, Hashable, CustomStringConvertible {
    /// The Sparkplug B message types Pinion sends or answers.
    public enum MessageType: String, Sendable, CaseIterable {
        case nodeBirth = "NBIRTH", nodeDeath = "NDEATH", deviceBirth = "DBIRTH", deviceDeath = "DDEATH"
        case nodeData = "NDATA", deviceData = "DDATA", nodeCommand = "NCMD", deviceCommand = "DCMD"
    }

    public static let namespace = "spBv1.0"

    public var group: String
    public var type: MessageType
    public var node: String
    public var device: String?

    public init(group: String, type: MessageType, node: String, device: String? = nil) {
        self.group = group
        self.type = type
        self.node = node
        self.device = device
    }

    /// Parses a topic in the Sparkplug B namespace; nil for any other topic.
    public init?(parsing topic: String) {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 || parts.count == 5, parts[0] == Self.namespace,
              let type = MessageType(rawValue: parts[2]) else { return nil }
        self.init(group: parts[1], type: type, node: parts[3], device: parts.count == 5 ? parts[4] : nil)
    }

    public var description: String {
        [Self.namespace, group, type.rawValue, node].joined(separator: "/") + (device.map { "/\($0)" } ?? "")
    }

    /// Why `id` cannot be a group, edge node or device id (Sparkplug forbids `+`, `/`, `#` and
    /// empty ids), or nil when it can.
    public static func problem(withID id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if let bad = id.first(where: { "+/#".contains($0) }) { return "contains '\(bad)', which Sparkplug ids may not" }
        return nil
    }
}
