import PinionUpstream

extension FuzzTarget {
    /// An NCMD payload as the publisher hands it to the Sparkplug session: `SparkplugSession.received`
    /// on the node's command topic while connected (protobuf decoding, the rebirth metric).
    static let sparkplugCommands = FuzzTarget(name: "sparkplug-ncmd",
                                              summary: "SparkplugSession.received(topic: NCMD, payload:)") { bytes in
        _ = SparkplugFuzzing.session.received(topic: SparkplugFuzzing.commandTopic, payload: bytes)
    }
}

enum SparkplugFuzzing {
    static let session: SparkplugSession = {
        let session = SparkplugSession(group: "pinion", node: "gw-fuzz", bdSeq: 0, clock: { 1_700_000_000_000 })
        _ = session.connected()
        return session
    }()
    static let commandTopic = session.topic(.nodeCommand)
}
