import Foundation
import PinionBoards
import PinionSensors
import PinionUpstream

/// The gateway's own settings (`/etc/pinion/pinion.toml`): how often sensors are read and
/// which rail monitors and thermometers sit on the gateway's I2C buses. See docs/configuration.md.
public struct GatewayConfiguration: Sendable {
    /// Where Pinion looks when neither `--config` nor `$PINION_CONFIG` names a file.
    public static let defaultPath = "/etc/pinion/pinion.toml"

    public var sampling: SamplingPlan
    /// Samples of a rail further apart than this are a gap, not a segment.
    public var maximumGapSeconds: Double
    public var sensors: [GatewaySensor]
    public var scheduler = SchedulerSettings()
    public var api = APISettings()
    public var ledger = LedgerSettings()
    /// Where reports go; nil without an `[upstream]` table.
    public var upstream: UpstreamSettings?
    /// The file read, or nil when there was none (defaults, no sensors).
    public var source: String?

    public init(sampling: SamplingPlan = SamplingPlan(), maximumGapSeconds: Double = 0.5, sensors: [GatewaySensor] = [],
                source: String? = nil) {
        self.sampling = sampling
        self.maximumGapSeconds = maximumGapSeconds
        self.sensors = sensors
        self.source = source
    }

    /// The file to read: `explicit` (`--config`), else `$PINION_CONFIG`, else the default path if
    /// it exists; nil when there is none (Pinion then runs with defaults and no gateway sensors).
    public static func path(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment["PINION_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Loads `path`, or returns the defaults when `path` is nil.
    public static func load(path: String?) throws(CatalogueError) -> GatewayConfiguration {
        guard let path else { return GatewayConfiguration() }
        return try parse(try TOMLReader.text(of: path), file: path)
    }

    /// Parses the text of a configuration file; every error names the file and the key.
    public static func parse(_ text: String, file: String) throws(CatalogueError) -> GatewayConfiguration {
        let root = try TOMLReader.parse(text, file: file)
        var configuration = GatewayConfiguration(source: file)
        if let sampling = try root.table("sampling") {
            configuration.sampling.powerHertz = try sampling.double("power_hz") ?? configuration.sampling.powerHertz
            configuration.sampling.temperatureHertz = try sampling.double("temperature_hz") ?? configuration.sampling.temperatureHertz
            configuration.maximumGapSeconds = try sampling.double("max_gap_s") ?? configuration.maximumGapSeconds
            if configuration.sampling.powerHertz > 10_000 { throw sampling.error("power_hz", "at most 10000") }
            if configuration.sampling.temperatureHertz > 100 { throw sampling.error("temperature_hz", "at most 100") }
            if configuration.maximumGapSeconds < 2 / configuration.sampling.powerHertz {
                throw sampling.error("max_gap_s", "\(configuration.maximumGapSeconds) s is shorter than two power samples (\(2 / configuration.sampling.powerHertz) s)")
            }
            try sampling.finish()
        }
        if let reader = try root.table("scheduler") {
            if let policy = try reader.string("policy") {
                guard SchedulerSettings.policies.contains(policy) else {
                    throw reader.error("policy", "expected one of \(SchedulerSettings.policies.joined(separator: ", ")), got \"\(policy)\"")
                }
                configuration.scheduler.policy = policy
            }
            configuration.scheduler.journal = try reader.string("journal") ?? configuration.scheduler.journal
            configuration.scheduler.modelsDirectory = try reader.string("models") ?? configuration.scheduler.modelsDirectory
            configuration.scheduler.powerBudgetWatts = try reader.double("power_budget_w")
            if let hours = try reader.double("keep_finished_hours", positive: false) {
                guard hours >= 0 else { throw reader.error("keep_finished_hours", "expected hours >= 0 (0 keeps finished tasks for ever), got \(hours)") }
                configuration.scheduler.keepFinishedHours = hours
            }
            try reader.finish()
        }
        if let reader = try root.table("api") {
            configuration.api.socket = try reader.string("socket") ?? configuration.api.socket
            configuration.api.socketGroup = try reader.string("socket_group") ?? configuration.api.socketGroup
            if let tcp = try reader.string("tcp") {
                let parts = tcp.split(separator: ":")
                guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else {
                    throw reader.error("tcp", "expected \"HOST:PORT\" (e.g. \"127.0.0.1:7453\"), got \"\(tcp)\"")
                }
                guard let tokenFile = try reader.string("token_file") else {
                    throw reader.error("tcp", "the API on TCP needs token_file (a file holding the token clients must send)")
                }
                configuration.api.tcp = (String(parts[0]), port)
                configuration.api.tokenFile = tokenFile
            } else if try reader.string("token_file") != nil {
                throw reader.error("token_file", "only used with tcp")
            }
            configuration.api.connections.maxConnections = try reader.int("max_connections", in: 1...100_000) ?? configuration.api.connections.maxConnections
            configuration.api.connections.idleTimeoutSeconds = try reader.double("idle_timeout_s") ?? configuration.api.connections.idleTimeoutSeconds
            configuration.api.connections.bodyTimeoutSeconds = try reader.double("body_timeout_s") ?? configuration.api.connections.bodyTimeoutSeconds
            try reader.finish()
        }
        if let reader = try root.table("ledger") {
            configuration.ledger.identity = try reader.string("identity") ?? configuration.ledger.identity
            configuration.ledger.path = try reader.string("path") ?? configuration.ledger.path
            configuration.ledger.energyReportSeconds = try reader.double("energy_report_s") ?? configuration.ledger.energyReportSeconds
            try reader.finish()
        }
        if let reader = try root.table("upstream") {
            var settings = UpstreamSettings(host: try reader.requiredString("host"))
            settings.port = try reader.int("port", in: 1...65535) ?? settings.port
            settings.clientID = try reader.string("client_id")
            settings.username = try reader.string("username")
            settings.passwordFile = try reader.string("password_file")
            settings.caFile = try reader.string("ca_file")
            settings.certificateFile = try reader.string("cert_file")
            settings.keyFile = try reader.string("key_file")
            settings.mqtt5 = try reader.bool("mqtt5") ?? true
            settings.topicPrefix = try reader.string("topic_prefix") ?? settings.topicPrefix
            settings.outbox = try reader.string("outbox") ?? settings.outbox
            if let megabytes = try reader.double("outbox_max_mb") { settings.outboxMaxBytes = Int64(megabytes * 1_048_576) }
            if let hours = try reader.double("outbox_max_age_hours") { settings.outboxMaxAgeSeconds = hours * 3600 }
            if let payload = try reader.string("telemetry") {
                guard let format = UpstreamSettings.TelemetryFormat(rawValue: payload) else {
                    throw reader.error("telemetry", "is '\(payload)'; use sparkplug, json or off")
                }
                settings.telemetry = format
            }
            settings.telemetrySeconds = try reader.double("telemetry_interval_s") ?? settings.telemetrySeconds
            settings.groupID = try reader.string("group_id") ?? settings.groupID
            settings.nodeID = try reader.string("node_id")
            settings.tasksTopic = try reader.string("tasks")
            settings.tasksShare = try reader.string("tasks_share") ?? settings.tasksShare
            settings.tasksMaxBytes = try reader.int("tasks_max_bytes", in: 64...(256 << 20)) ?? settings.tasksMaxBytes
            if let topic = settings.tasksTopic, topic.isEmpty || topic.hasPrefix("$") {
                throw reader.error("tasks", "'\(topic)' is not a topic to take tasks from (the $share/ prefix comes from tasks_share)")
            }
            if settings.tasksShare.contains("/") || settings.tasksShare.contains("+") || settings.tasksShare.contains("#") {
                throw reader.error("tasks_share", "'\(settings.tasksShare)' may not contain /, + or #")
            }
            for (key, id) in [("group_id", settings.groupID), ("node_id", settings.nodeID)] {
                if let id, let problem = SparkplugTopic.problem(withID: id) { throw reader.error(key, "'\(id)' \(problem)") }
            }
            if (settings.certificateFile == nil) != (settings.keyFile == nil) {
                throw reader.error(settings.certificateFile == nil ? "key_file" : "cert_file", "a client certificate needs both cert_file and key_file")
            }
            if settings.certificateFile != nil && settings.caFile == nil { throw reader.error("cert_file", "TLS needs ca_file too") }
            if settings.passwordFile != nil && settings.username == nil { throw reader.error("password_file", "a password needs a username") }
            try reader.finish()
            configuration.upstream = settings
        }
        var seen: [String: String] = [:]
        for reader in try root.tables("sensors") {
            let sensor = try OnBoardSensor(reading: reader, buses: .gatewayOnly)
            let board = try reader.string("board")
            try reader.finish()
            let place = "\(sensor.bus) \(sensor.address)" + (sensor.channel.map { " channel \($0)" } ?? "")
            if let earlier = seen[place] { throw reader.error("address", "\(place) is already \(earlier)") }
            seen[place] = reader.path
            configuration.sensors.append(GatewaySensor(sensor: sensor, board: board))
        }
        try root.finish()
        return configuration
    }
}

/// A rail monitor or thermometer on one of the gateway's buses, and the board whose power its
/// rail carries (its energy is that board's), if any.
public struct GatewaySensor: Sendable, Hashable {
    public var sensor: OnBoardSensor
    /// The serial of the board the rail powers.
    public var board: String?

    public init(sensor: OnBoardSensor, board: String? = nil) {
        self.sensor = sensor
        self.board = board
    }
}

/// `[scheduler]`: how tasks are placed and where they are journaled.
public struct SchedulerSettings: Sendable, Hashable {
    public static let policies = ["energy-aware", "fifo", "round-robin"]
    public var policy = "energy-aware"
    /// The SQLite task journal.
    public var journal = "/var/lib/pinion/journal.sqlite"
    /// `*.pnm` model files, each served under its file name without the extension.
    public var modelsDirectory = "/var/lib/pinion/models"
    /// The most the boards together may draw (their TELEMETRY watts); over it, no new work is placed.
    public var powerBudgetWatts: Double?
    /// Finished tasks (receipted or failed) older than this leave the journal; 0 keeps them.
    public var keepFinishedHours: Double = 168

    public init() {}
}

/// `[api]`: the local API.
public struct APISettings: Sendable {
    /// The Unix socket the API listens on (mode 0660).
    public var socket = "/run/pinion/pinion.sock"
    /// The group given the socket, when it exists.
    public var socketGroup = "pinion"
    /// Also serve the API on this TCP address, with a token.
    public var tcp: (host: String, port: Int)?
    /// The token TCP clients must send (`Authorization: Bearer ...`), one line in this file.
    public var tokenFile: String?
    /// Connections, timeouts and body size of each listener (`max_connections`, `idle_timeout_s`, `body_timeout_s`).
    public var connections = APIConnectionLimits()

    public init() {}

    /// The token from `tokenFile`; a missing, unreadable or short token, or a file other users can read, is an error.
    public func token() throws -> String {
        guard let tokenFile else { throw ControllerError("no [api] token_file") }
        let token = try SecretFile.read(tokenFile, what: "the API token file")
        guard token.count >= 16 else { throw ControllerError("\(tokenFile): the API token must be at least 16 characters") }
        return token
    }
}

/// `[ledger]`: the gateway's identity and its signed ledger of receipts and energy reports.
public struct LedgerSettings: Sendable, Hashable {
    /// The Ed25519 private key (PEM, mode 0600), generated on first start.
    public var identity = "/var/lib/pinion/identity.pem"
    /// The ledger, JSON lines.
    public var path = "/var/lib/pinion/ledger.jsonl"
    /// How often an energy report is added.
    public var energyReportSeconds = 60.0

    public init() {}
}

/// `[upstream]`: the MQTT broker reports go to.
public struct UpstreamSettings: Sendable, Hashable {
    public var host: String
    public var port = 1883
    /// Default: `pinion-` and the start of the gateway's public key.
    public var clientID: String?
    public var username: String?
    /// A file holding the password (one line).
    public var passwordFile: String?
    /// TLS: the CA to trust, and a client certificate and key.
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    /// MQTT 5 instead of 3.1.1 (see `MQTTClient.Options.protocolVersion5` and docs/upstream.md).
    public var mqtt5 = true
    public var topicPrefix = "pinion"
    /// Reports waiting for the broker (SQLite).
    public var outbox = "/var/lib/pinion/outbox.sqlite"
    /// The outbox's bounds (`outbox_max_mb`, `outbox_max_age_hours`): past them the oldest
    /// messages are evicted, telemetry first, and the eviction reported upstream.
    public var outboxMaxBytes = Outbox.Limits.defaultMaxBytes
    public var outboxMaxAgeSeconds = Outbox.Limits.defaultMaxAgeSeconds
    /// How telemetry (board state, temperatures, power, energy, tasks) is published.
    public var telemetry = TelemetryFormat.sparkplug
    public var telemetrySeconds = 10.0
    /// Sparkplug B group id, and edge node id (default: the first 16 hex digits of the gateway's key).
    public var groupID = "pinion"
    public var nodeID: String?
    /// Where tasks arrive (`tasks = "pinion/tasks/digits"`), none by default; with a share group
    /// (default `pinion`; empty for none) the gateways of a fleet split one stream.
    public var tasksTopic: String?
    public var tasksShare = "pinion"
    /// A task message longer than this is refused unread (`tasks_max_bytes`).
    public var tasksMaxBytes = TaskIntake.defaultMaxTaskBytes

    /// The subscription for `tasksTopic`: `$share/<group>/<topic>`, or the topic when not shared.
    public var tasksSubscription: String? {
        tasksTopic.map { tasksShare.isEmpty ? $0 : "$share/\(tasksShare)/\($0)" }
    }

    /// `telemetry = "sparkplug" | "json" | "off"`.
    public enum TelemetryFormat: String, Sendable, Hashable {
        case sparkplug, json, off
    }

    public init(host: String) { self.host = host }

    /// The outbox's limits for `gateway` (public key hex), notices on `<prefix>/<gateway>/outbox/evicted`.
    public func outboxLimits(gateway: String) -> Outbox.Limits {
        Outbox.Limits(maxBytes: outboxMaxBytes, maxAgeSeconds: outboxMaxAgeSeconds, noticeTopic: "\(topicPrefix)/\(gateway)/outbox/evicted")
    }
}
