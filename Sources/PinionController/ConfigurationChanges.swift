/// What differs between the configuration `pinion run` is running with and the file read again at
/// a reload (SIGHUP), key by key: what the controller applies at once (`live`: sampling rates,
/// the sensor list, the placement policy, the broker and the login to it) and what only a restart
/// applies (`restartOnly`: state files, the API's listeners and limits, the ledger, the rest of
/// `[upstream]`).
public struct ConfigurationChanges: Sendable, Hashable {
    /// Keys applied at once, each as `key old → new`.
    public var live: [String] = []
    /// Keys whose new value takes effect after a restart.
    public var restartOnly: [String] = []

    /// The keys that differ from `running` in `reloaded`.
    public init(from running: GatewayConfiguration, to reloaded: GatewayConfiguration) {
        compare("sampling.power_hz", running.sampling.powerHertz, reloaded.sampling.powerHertz, live: true)
        compare("sampling.temperature_hz", running.sampling.temperatureHertz, reloaded.sampling.temperatureHertz, live: true)
        if running.sensors != reloaded.sensors { live.append("sensors (\(running.sensors.count) → \(reloaded.sensors.count) entries)") }
        compare("scheduler.policy", running.scheduler.policy, reloaded.scheduler.policy, live: true)

        compare("sampling.max_gap_s", running.maximumGapSeconds, reloaded.maximumGapSeconds)
        compare("scheduler.journal", running.scheduler.journal, reloaded.scheduler.journal)
        compare("scheduler.models", running.scheduler.modelsDirectory, reloaded.scheduler.modelsDirectory)
        compare("scheduler.power_budget_w", running.scheduler.powerBudgetWatts, reloaded.scheduler.powerBudgetWatts)
        compare("scheduler.keep_finished_hours", running.scheduler.keepFinishedHours, reloaded.scheduler.keepFinishedHours)
        compare("api.socket", running.api.socket, reloaded.api.socket)
        compare("api.socket_group", running.api.socketGroup, reloaded.api.socketGroup)
        compare("api.tcp", running.api.tcp.map { "\($0.host):\($0.port)" }, reloaded.api.tcp.map { "\($0.host):\($0.port)" })
        compare("api.token_file", running.api.tokenFile, reloaded.api.tokenFile)
        compare("api.max_connections", running.api.connections.maxConnections, reloaded.api.connections.maxConnections)
        compare("api.idle_timeout_s", running.api.connections.idleTimeoutSeconds, reloaded.api.connections.idleTimeoutSeconds)
        compare("api.body_timeout_s", running.api.connections.bodyTimeoutSeconds, reloaded.api.connections.bodyTimeoutSeconds)
        compare("ledger.identity", running.ledger.identity, reloaded.ledger.identity)
        compare("ledger.path", running.ledger.path, reloaded.ledger.path)
        compare("ledger.energy_report_s", running.ledger.energyReportSeconds, reloaded.ledger.energyReportSeconds)
        compare("ledger.segment_max_bytes", running.ledger.segmentMaxBytes, reloaded.ledger.segmentMaxBytes)
        compare("ledger.retention_s", running.ledger.retentionSeconds, reloaded.ledger.retentionSeconds)
        switch (running.upstream, reloaded.upstream) {
        case (nil, nil): break
        case (nil, _), (_, nil): restartOnly.append("upstream")
        case (let old?, let new?):
            compare("upstream.host", old.host, new.host, live: true)
            compare("upstream.port", old.port, new.port, live: true)
            compare("upstream.username", old.username, new.username, live: true)
            compare("upstream.password_file", old.passwordFile, new.passwordFile, live: true)
            // TLS files change live; TLS itself (ca_file set or not) is set up at start.
            let tlsBoth = (old.caFile == nil) == (new.caFile == nil)
            compare("upstream.ca_file", old.caFile, new.caFile, live: tlsBoth)
            compare("upstream.cert_file", old.certificateFile, new.certificateFile, live: tlsBoth)
            compare("upstream.key_file", old.keyFile, new.keyFile, live: tlsBoth)
            restartOnly += Self.upstreamRestartKeys(old, new)
        }
    }

    /// Nothing differs.
    public var isEmpty: Bool { live.isEmpty && restartOnly.isEmpty }

    /// `[upstream]` keys that differ and are set up at start: the client id, the session, topics,
    /// telemetry, the outbox.
    private static func upstreamRestartKeys(_ old: UpstreamSettings, _ new: UpstreamSettings) -> [String] {
        let keys: [(String, AnyHashable?, AnyHashable?)] = [
            ("client_id", old.clientID, new.clientID), ("mqtt5", old.mqtt5, new.mqtt5), ("session_expiry_s", old.sessionExpirySeconds, new.sessionExpirySeconds),
            ("topic_prefix", old.topicPrefix, new.topicPrefix), ("outbox", old.outbox, new.outbox),
            ("outbox_max_mb", old.outboxMaxBytes, new.outboxMaxBytes), ("outbox_max_age_hours", old.outboxMaxAgeSeconds, new.outboxMaxAgeSeconds),
            ("telemetry", old.telemetry, new.telemetry), ("telemetry_interval_s", old.telemetrySeconds, new.telemetrySeconds),
            ("group_id", old.groupID, new.groupID), ("node_id", old.nodeID, new.nodeID),
            ("sparkplug_primary_host", old.sparkplugPrimaryHost, new.sparkplugPrimaryHost), ("tasks", old.tasksTopic, new.tasksTopic),
            ("tasks_share", old.tasksShare, new.tasksShare), ("tasks_max_bytes", old.tasksMaxBytes, new.tasksMaxBytes),
        ]
        return keys.filter { $0.1 != $0.2 }.map { "upstream.\($0.0)" }
    }

    private mutating func compare<Value: Equatable>(_ key: String, _ old: Value?, _ new: Value?, live isLive: Bool = false) {
        guard old != new else { return }
        if isLive {
            live.append("\(key) \(Self.text(old)) → \(Self.text(new))")
        } else {
            restartOnly.append(key)
        }
    }

    private static func text<Value>(_ value: Value?) -> String {
        guard let value else { return "none" }
        if let number = value as? Double, number == number.rounded(), abs(number) < 1e15 { return "\(Int(number))" }
        return "\(value)"
    }
}
