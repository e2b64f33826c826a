import Foundation
import PinionBoards
import PinionScheduler
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
    public var firmware = FirmwareSettings()
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

    /// Parses the text of a configuration file; the error (the first problem) names the file and the key.
    public static func parse(_ text: String, file: String) throws(CatalogueError) -> GatewayConfiguration {
        let (configuration, problems) = check(text, file: file)
        if let first = problems.first { throw first }
        return configuration
    }

    /// Reads `path` as `pinion run` would and returns every problem, one line each: the file's
    /// (`check(_:file:)`) and those of the files it names that `run` reads at start (the API token).
    public static func check(path: String) -> (GatewayConfiguration, [CatalogueError]) {
        let text: String
        do { text = try TOMLReader.text(of: path) } catch { return (GatewayConfiguration(source: path), [error]) }
        var (configuration, problems) = check(text, file: path)
        if problems.isEmpty {
            problems += located(configuration.api.tokenFileProblems().map { CatalogueError(file: path, key: "api.token_file", message: $0) }, in: text)
        }
        return (configuration, problems)
    }

    /// Parses the text of a configuration file, going on past each problem: the configuration
    /// (defaults where a key was wrong) and every problem, each naming the file and the key.
    public static func check(_ text: String, file: String) -> (GatewayConfiguration, [CatalogueError]) {
        let problems = ConfigurationProblems()
        var configuration = GatewayConfiguration(source: file)
        guard let root = problems.value({ () throws(CatalogueError) in try TOMLReader.parse(text, file: file) }) else {
            return (configuration, problems.all)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("sampling") }) {
            configuration.readSampling(reader, problems)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("scheduler") }) {
            configuration.scheduler.read(reader, problems)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("api") }) {
            configuration.api.read(reader, problems)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("ledger") }) {
            configuration.ledger.read(reader, problems)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("firmware") }) {
            configuration.firmware.read(reader, problems)
        }
        if let reader = problems.value({ () throws(CatalogueError) in try root.table("upstream") }) {
            configuration.upstream = UpstreamSettings.read(reader, problems)
        }
        configuration.readSensors(root, problems)
        problems.check { () throws(CatalogueError) in try root.finish() }
        return (configuration, located(problems.all, in: text))
    }

    /// `problems`, each with the line of its key in `text` added, where the file writes the key.
    private static func located(_ problems: [CatalogueError], in text: String) -> [CatalogueError] {
        let keyLines = TOMLKeyLines(text)
        return problems.map { problem in
            guard let line = keyLines.line(of: problem.key) else { return problem }
            return CatalogueError(file: problem.file, key: problem.key, message: "\(problem.message) (line \(line))")
        }
    }

    private mutating func readSampling(_ reader: TOMLReader, _ problems: ConfigurationProblems) {
        sampling.powerHertz = problems.value { () throws(CatalogueError) in try reader.number(.powerHertz) } ?? sampling.powerHertz
        sampling.temperatureHertz = problems.value { () throws(CatalogueError) in try reader.number(.temperatureHertz) } ?? sampling.temperatureHertz
        if let gap = problems.value({ () throws(CatalogueError) in try reader.number(.maximumGapSeconds) }) {
            maximumGapSeconds = gap
            if gap < 2 / sampling.powerHertz {
                problems.add(reader.error("max_gap_s", "\(gap) s is shorter than two power samples (\(2 / sampling.powerHertz) s)"))
            }
        }
        problems.check { () throws(CatalogueError) in try reader.finish() }
    }

    private mutating func readSensors(_ root: TOMLReader, _ problems: ConfigurationProblems) {
        var seen: [String: String] = [:]
        for reader in problems.value({ () throws(CatalogueError) in try root.tables("sensors") }) ?? [] {
            guard let sensor = problems.value({ () throws(CatalogueError) in try OnBoardSensor(reading: reader, buses: .gatewayOnly) }) else { continue }
            for (key, value) in [(NumericKey.shuntOhms, sensor.shuntOhms), (.maxCurrentAmperes, sensor.maxCurrentAmperes)] {
                if let value, let problem = key.problem(value) { problems.add(reader.error(key.name, problem)) }
            }
            let board = problems.value { () throws(CatalogueError) in try reader.string("board") }
            problems.check { () throws(CatalogueError) in try reader.finish() }
            let place = "\(sensor.bus) \(sensor.address)" + (sensor.channel.map { " channel \($0)" } ?? "")
            if let earlier = seen[place] {
                problems.add(reader.error("address", "\(place) is already \(earlier)"))
                continue
            }
            seen[place] = reader.path
            sensors.append(GatewaySensor(sensor: sensor, board: board))
        }
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
    /// The placement policies `policy` may name (`PlacementPolicies`).
    public static var policies: [String] { PlacementPolicies.names }
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

    /// The token from `tokenFile`; a missing, unreadable or short token is an error.
    /// The token from `tokenFile`; a missing, unreadable or short token, or a file other users can
    /// open, is an error.
    public func token() throws -> String {
        guard let tokenFile else { throw ControllerError("no [api] token_file") }
        let token = try SecretFile.read(tokenFile, what: "the API token file")
        guard token.count >= 16 else { throw ControllerError("\(tokenFile): the API token must be at least 16 characters") }
        return token
    }

    /// Everything wrong with the token file when the API is on TCP (what `token()` would refuse),
    /// one line each.
    public func tokenFileProblems() -> [String] {
        guard tcp != nil, tokenFile != nil else { return [] }
        do {
            _ = try token()
            return []
        } catch {
            return ["\(error)"]
        }
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
    /// The newest segment of the ledger is closed (with a signed checkpoint) before it passes this size.
    public var segmentMaxBytes: UInt64 = 64 << 20
    /// Closed segments older than this (seconds since they were closed) whose every entry the
    /// broker acknowledged are deleted; 0: closed segments are kept for ever.
    public var retentionSeconds = 0.0

    public init() {}
}

/// `[firmware]`: where the site keeps firmware images and the keys it trusts, the defaults of
/// `pinion diag --firmware-dir` and of `--trust-store` (`pinion diag`, `pinion flash`).
public struct FirmwareSettings: Sendable, Hashable {
    /// A directory of firmware images; nil: `pinion diag` checks no images unless given one.
    public var directory: String?
    /// A directory of trusted Ed25519 public keys; nil: `$PINION_TRUST_STORE`, else /etc/pinion/trusted-keys.
    public var trustStore: String?

    public init(directory: String? = nil, trustStore: String? = nil) {
        self.directory = directory
        self.trustStore = trustStore
    }
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
    /// MQTT 5: how long the broker keeps the gateway's session (subscriptions, queued QoS 1 tasks)
    /// while it is away (`session_expiry_s`, default one day); sent on every CONNECT.
    public var sessionExpirySeconds: UInt32 = 86_400
    public var topicPrefix = "pinion"
    /// Reports waiting for the broker (SQLite).
    public var outbox = "/var/lib/pinion/outbox.sqlite"
    /// The outbox's bounds (`outbox_max_mb`, `outbox_max_age_hours`): past them the oldest
    /// messages are evicted, telemetry first, and the eviction reported upstream.
    public var outboxMaxBytes = Outbox.Limits.defaultMaxBytes
    public var outboxMaxAgeSeconds = Outbox.Limits.defaultMaxAgeSeconds
    /// How telemetry (board state, temperatures, power, energy, tasks) is published: the name of
    /// one of `TelemetryPayloadFormats` (`telemetry = "sparkplug" | "json" | "off"`).
    public var telemetry = TelemetryPayloadFormat.sparkplug.name
    public var telemetrySeconds = 10.0
    /// Sparkplug B group id, and edge node id (default: the first 16 hex digits of the gateway's key).
    public var groupID = "pinion"
    public var nodeID: String?
    /// The Sparkplug Primary Host Application's id (`sparkplug_primary_host`): births and data wait
    /// for its STATE (`spBv1.0/STATE/<id>`) to say online. None by default: no waiting.
    public var sparkplugPrimaryHost: String?
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

    public init(host: String) { self.host = host }

    /// The outbox's limits for `gateway` (public key hex), notices on `<prefix>/<gateway>/outbox/evicted`.
    public func outboxLimits(gateway: String) -> Outbox.Limits {
        Outbox.Limits(maxBytes: outboxMaxBytes, maxAgeSeconds: outboxMaxAgeSeconds, noticeTopic: "\(topicPrefix)/\(gateway)/outbox/evicted")
    }
}
