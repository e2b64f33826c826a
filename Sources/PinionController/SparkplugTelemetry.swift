import PinionUpstream

extension TelemetryPayloadFormat {
    /// Sparkplug B: the gateway an edge node, each board a device, on a connection of its own.
    /// Each start takes the next bdSeq (kept in the outbox's database, each reconnection's too,
    /// stored before its CONNECT so that none is used twice).
    public static let sparkplug = TelemetryPayloadFormat(
        name: "sparkplug",
        ownConnection: OwnConnection(lane: SparkplugTopic.namespace + "/", label: "Sparkplug"),
        start: { start in
            let outbox = start.outbox, log = start.log, path = start.settings.outbox
            let bdSeqKey = ControllerUpstream.bdSeqKey
            let bdSeq = UInt64(((try await outbox.meta(bdSeqKey) ?? -1) + 1) % 256)
            try await outbox.enqueue([], settingMeta: (bdSeqKey, Int64(bdSeq)))
            let session = SparkplugSession(group: start.settings.groupID, node: start.node, bdSeq: bdSeq, nodeMetrics: start.nodeMetrics,
                                           primaryHost: start.settings.sparkplugPrimaryHost) { next in
                do { try outbox.setMetaNow(bdSeqKey, Int64(next)) } catch { log("upstream: cannot store Sparkplug bdSeq \(next) in \(path): \(error)") }
            }
            return (session, session)
        },
        describe: { settings, node in
            "Sparkplug B, group \(settings.groupID), edge node \(node), every \(settings.telemetrySeconds) s"
        })
}

extension SparkplugSession: TelemetryPayload {
    /// DBIRTH with the board's metrics, or DDEATH, sent at once.
    public func boardChange(_ serial: String, metrics: [TelemetryMetric]?, timestampMilliseconds: UInt64) -> TelemetryBoardChange {
        if let metrics {
            .publishNow { self.deviceAttached(serial, metrics: metrics) }
        } else {
            .publishNow { self.deviceDetached(serial) }
        }
    }
}
