import PinionBoards
import PinionScheduler
import PinionUpstream

// How each table of the gateway configuration is read: every key through `problems`, so that a
// wrong key is noted and the others are still read (`GatewayConfiguration.check`).

extension SchedulerSettings {
    mutating func read(_ reader: TOMLReader, _ problems: ConfigurationProblems) {
        if let name = problems.value({ () throws(CatalogueError) in try reader.string("policy") }) {
            if Self.policies.contains(name) {
                policy = name
            } else {
                problems.add(reader.error("policy", "expected one of \(Self.policies.joined(separator: ", ")), got \"\(name)\""))
            }
        }
        journal = problems.value { () throws(CatalogueError) in try reader.string("journal") } ?? journal
        modelsDirectory = problems.value { () throws(CatalogueError) in try reader.string("models") } ?? modelsDirectory
        powerBudgetWatts = problems.value { () throws(CatalogueError) in try reader.number(.powerBudgetWatts) }
        keepFinishedHours = problems.value { () throws(CatalogueError) in try reader.number(.keepFinishedHours) } ?? keepFinishedHours
        problems.check { () throws(CatalogueError) in try reader.finish() }
    }

    /// The placement policy `policy` names; a name that is none of `policies` is an error naming
    /// the key and the valid names (never a silent fall back to another policy).
    public func placementPolicy() throws -> any PlacementPolicy {
        guard let made = PlacementPolicies.make(named: policy) else {
            throw ControllerError("[scheduler] policy: expected one of \(Self.policies.joined(separator: ", ")), got \"\(policy)\"")
        }
        return made
    }
}

extension APISettings {
    mutating func read(_ reader: TOMLReader, _ problems: ConfigurationProblems) {
        socket = problems.value { () throws(CatalogueError) in try reader.string("socket") } ?? socket
        socketGroup = problems.value { () throws(CatalogueError) in try reader.string("socket_group") } ?? socketGroup
        let address = problems.value { () throws(CatalogueError) in try reader.string("tcp") }
        let token = problems.value { () throws(CatalogueError) in try reader.string("token_file") }
        if let address {
            let parts = address.split(separator: ":")
            if parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) {
                tcp = (String(parts[0]), port)
            } else {
                problems.add(reader.error("tcp", "expected \"HOST:PORT\" (e.g. \"127.0.0.1:7453\"), got \"\(address)\""))
            }
            if token == nil && reader.table["token_file"] == nil {
                problems.add(reader.error("tcp", "the API on TCP needs token_file (a file holding the token clients must send)"))
            }
            tokenFile = token
        } else if token != nil {
            problems.add(reader.error("token_file", "only used with tcp"))
        }
        connections.maxConnections = problems.value { () throws(CatalogueError) in try reader.integer(.maxConnections) } ?? connections.maxConnections
        connections.idleTimeoutSeconds = problems.value { () throws(CatalogueError) in try reader.number(.idleTimeoutSeconds) }
            ?? connections.idleTimeoutSeconds
        connections.bodyTimeoutSeconds = problems.value { () throws(CatalogueError) in try reader.number(.bodyTimeoutSeconds) }
            ?? connections.bodyTimeoutSeconds
        problems.check { () throws(CatalogueError) in try reader.finish() }
    }
}

extension LedgerSettings {
    mutating func read(_ reader: TOMLReader, _ problems: ConfigurationProblems) {
        identity = problems.value { () throws(CatalogueError) in try reader.string("identity") } ?? identity
        path = problems.value { () throws(CatalogueError) in try reader.string("path") } ?? path
        energyReportSeconds = problems.value { () throws(CatalogueError) in try reader.number(.energyReportSeconds) } ?? energyReportSeconds
        segmentMaxBytes = problems.value { () throws(CatalogueError) in try reader.integer(.segmentMaxBytes) }.map(UInt64.init) ?? segmentMaxBytes
        retentionSeconds = problems.value { () throws(CatalogueError) in try reader.number(.retentionSeconds) } ?? retentionSeconds
        problems.check { () throws(CatalogueError) in try reader.finish() }
    }
}

extension FirmwareSettings {
    mutating func read(_ reader: TOMLReader, _ problems: ConfigurationProblems) {
        directory = problems.value { () throws(CatalogueError) in try reader.string("directory") } ?? directory
        trustStore = problems.value { () throws(CatalogueError) in try reader.string("trust_store") } ?? trustStore
        for (key, value) in [("directory", directory), ("trust_store", trustStore)] where value?.isEmpty == true {
            problems.add(reader.error(key, "expected a directory, got an empty string"))
        }
        problems.check { () throws(CatalogueError) in try reader.finish() }
    }
}

extension UpstreamSettings {
    static func read(_ reader: TOMLReader, _ problems: ConfigurationProblems) -> UpstreamSettings {
        func string(_ key: String) -> String? { problems.value { () throws(CatalogueError) in try reader.string(key) } }
        var settings = UpstreamSettings(host: problems.value { () throws(CatalogueError) in try reader.requiredString("host") } ?? "")
        settings.port = problems.value { () throws(CatalogueError) in try reader.integer(.upstreamPort) } ?? settings.port
        settings.clientID = string("client_id")
        settings.username = string("username")
        settings.passwordFile = string("password_file")
        settings.caFile = string("ca_file")
        settings.certificateFile = string("cert_file")
        settings.keyFile = string("key_file")
        settings.mqtt5 = problems.value { () throws(CatalogueError) in try reader.bool("mqtt5") } ?? true
        if let seconds = problems.value({ () throws(CatalogueError) in try reader.integer(.sessionExpirySeconds) }) {
            settings.sessionExpirySeconds = UInt32(seconds)
        }
        settings.topicPrefix = string("topic_prefix") ?? settings.topicPrefix
        settings.outbox = string("outbox") ?? settings.outbox
        if let megabytes = problems.value({ () throws(CatalogueError) in try reader.number(.outboxMaxMegabytes) }) {
            settings.outboxMaxBytes = Int64(megabytes * 1_048_576)
        }
        if let hours = problems.value({ () throws(CatalogueError) in try reader.number(.outboxMaxAgeHours) }) {
            settings.outboxMaxAgeSeconds = hours * 3600
        }
        if let payload = string("telemetry") {
            if TelemetryPayloadFormats.named(payload) != nil {
                settings.telemetry = payload
            } else {
                problems.add(reader.error("telemetry", "is '\(payload)'; use \(TelemetryPayloadFormats.namesInProse)"))
            }
        }
        settings.telemetrySeconds = problems.value { () throws(CatalogueError) in try reader.number(.telemetrySeconds) } ?? settings.telemetrySeconds
        settings.groupID = string("group_id") ?? settings.groupID
        settings.nodeID = string("node_id")
        settings.sparkplugPrimaryHost = string("sparkplug_primary_host")
        settings.tasksTopic = string("tasks")
        settings.tasksShare = string("tasks_share") ?? settings.tasksShare
        settings.tasksMaxBytes = problems.value { () throws(CatalogueError) in try reader.integer(.tasksMaxBytes) } ?? settings.tasksMaxBytes
        if let topic = settings.tasksTopic, topic.isEmpty || topic.hasPrefix("$") {
            problems.add(reader.error("tasks", "'\(topic)' is not a topic to take tasks from (the $share/ prefix comes from tasks_share)"))
        }
        if settings.tasksShare.contains("/") || settings.tasksShare.contains("+") || settings.tasksShare.contains("#") {
            problems.add(reader.error("tasks_share", "'\(settings.tasksShare)' may not contain /, + or #"))
        }
        for (key, id) in [("group_id", settings.groupID), ("node_id", settings.nodeID), ("sparkplug_primary_host", settings.sparkplugPrimaryHost)] {
            if let id, let problem = SparkplugTopic.problem(withID: id) { problems.add(reader.error(key, "'\(id)' \(problem)")) }
        }
        if (settings.certificateFile == nil) != (settings.keyFile == nil) {
            problems.add(reader.error(settings.certificateFile == nil ? "key_file" : "cert_file", "a client certificate needs both cert_file and key_file"))
        }
        if settings.certificateFile != nil && settings.caFile == nil { problems.add(reader.error("cert_file", "TLS needs ca_file too")) }
        if settings.passwordFile != nil && settings.username == nil { problems.add(reader.error("password_file", "a password needs a username")) }
        problems.check { () throws(CatalogueError) in try reader.finish() }
        return settings
    }
}
