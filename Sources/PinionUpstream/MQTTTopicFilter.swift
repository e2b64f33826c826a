/// MQTT topic filters: wildcards `+` (one level) and `#` (the rest), and shared subscriptions
/// (`$share/<group>/<filter>`, which deliver on the plain topic).
public enum MQTTTopicFilter {
    /// The filter a shared subscription stands for (`$share/g/a/b` → `a/b`); others unchanged.
    public static func unshared(_ filter: String) -> String {
        guard filter.hasPrefix("$share/") else { return filter }
        let parts = filter.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? String(parts[2]) : filter
    }

    /// Whether `topic` matches `filter` (shared or not).
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        let filterLevels = unshared(filter).split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return !(topic.hasPrefix("$") && index == 0) }
            guard index < topicLevels.count else { return false }
            if level == "+" { if index == 0 && topic.hasPrefix("$") { return false } else { continue } }
            if level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
