import PinionUpstream

extension TelemetryPayloadFormat {
    /// JSON on `<prefix>/<gateway>/telemetry` (and `…/<board>/…`), with the gateway's online state
    /// on `<prefix>/<gateway>/state`, on the durable connection.
    public static let json = TelemetryPayloadFormat(
        name: "json",
        ownConnection: nil,
        start: { start in
            (OnlineStateSession(topic: "\(start.settings.topicPrefix)/\(start.gateway)/state"),
             JSONTelemetryFormat(topicPrefix: start.settings.topicPrefix, gateway: start.gateway))
        },
        describe: { settings, _ in
            "JSON on \(settings.topicPrefix)/<gateway>/telemetry, every \(settings.telemetrySeconds) s"
        })

    /// No telemetry; the gateway's online state is still published, as with JSON.
    public static let off = TelemetryPayloadFormat(
        name: "off",
        ownConnection: nil,
        start: { start in (OnlineStateSession(topic: "\(start.settings.topicPrefix)/\(start.gateway)/state"), nil) },
        describe: { _, _ in "off" })
}

extension JSONTelemetryFormat: TelemetryPayload {
    /// The board's state message (`attached` with its metrics, or `detached`), through the outbox.
    public func boardChange(_ serial: String, metrics: [TelemetryMetric]?, timestampMilliseconds: UInt64) -> TelemetryBoardChange {
        .enqueue([boardState(serial, attached: metrics != nil, metrics: metrics ?? [], timestampMilliseconds: timestampMilliseconds)])
    }
}
