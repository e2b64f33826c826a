import Foundation
import PinionBoards
import PinionController
import PinionEmulator
import PinionSensors
import Testing

@Suite("Gateway configuration")
struct GatewayConfigurationTests {
    let example = """
        [sampling]
        power_hz = 200
        temperature_hz = 0.5
        max_gap_s = 0.25

        [[sensors]]
        bus = "i2c-1"
        type = "ina226"
        address = 0x41
        shunt_ohms = 0.01
        max_current_a = 8.192
        label = "EMU-S-0001 rail"
        board = "EMU-S-0001"

        [[sensors]]
        bus = "i2c-1"
        type = "lm75"
        address = 0x48
        label = "enclosure"
        """

    @Test func readsSamplingAndSensors() throws {
        let configuration = try GatewayConfiguration.parse(example, file: "pinion.toml")
        #expect(configuration.sampling.powerHertz == 200)
        #expect(configuration.sampling.temperatureHertz == 0.5)
        #expect(configuration.maximumGapSeconds == 0.25)
        #expect(configuration.sensors.map(\.sensor.type) == [.ina226, .lm75])
        #expect(configuration.sensors.first?.board == "EMU-S-0001")
        #expect(configuration.sensors.first?.sensor.maxCurrentAmperes == 8.192)
        #expect(configuration.sensors.last?.sensor.gatewayBusNumber == 1)
    }

    @Test func upstreamTelemetrySettings() throws {
        let defaults = try #require(try GatewayConfiguration.parse("[upstream]\nhost = \"broker\"", file: "p.toml").upstream)
        #expect(defaults.telemetry == "sparkplug" && defaults.groupID == "pinion" && defaults.nodeID == nil && defaults.telemetrySeconds == 10)
        let json = try #require(try GatewayConfiguration.parse("""
            [upstream]
            host = "broker"
            telemetry = "json"
            telemetry_interval_s = 2.5
            group_id = "site-7"
            node_id = "gw-1"
            """, file: "p.toml").upstream)
        #expect(json.telemetry == "json" && json.telemetrySeconds == 2.5 && json.groupID == "site-7" && json.nodeID == "gw-1")
        #expect(defaults.tasksSubscription == nil)
        let shared = try #require(try GatewayConfiguration.parse("[upstream]\nhost = \"b\"\ntasks = \"jobs/digits\"", file: "p.toml").upstream)
        #expect(shared.tasksSubscription == "$share/pinion/jobs/digits")
        let plain = try #require(try GatewayConfiguration.parse("[upstream]\nhost = \"b\"\ntasks = \"jobs\"\ntasks_share = \"\"", file: "p.toml").upstream)
        #expect(plain.tasksSubscription == "jobs")
    }

    @Test func noFileMeansDefaultsAndNoSensors() throws {
        let configuration = try GatewayConfiguration.load(path: nil)
        #expect(configuration.sampling == SamplingPlan())
        #expect(configuration.sensors.isEmpty)
        #expect(GatewayConfiguration.path(explicit: nil, environment: ["PINION_CONFIG": "/x/p.toml"]) == "/x/p.toml")
        #expect(GatewayConfiguration.path(explicit: "/y.toml", environment: ["PINION_CONFIG": "/x/p.toml"]) == "/y.toml")
    }

    @Test(arguments: [
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"ina999\"\naddress = 0x40", "pinion.toml: sensors[0].type: expected one of"),
        ("[[sensors]]\nbus = \"board\"\ntype = \"lm75\"\naddress = 0x48", "pinion.toml: sensors[0].bus: expected \"i2c-N\""),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"ina226\"\naddress = 0x40", "pinion.toml: sensors[0].shunt_ohms: missing"),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x90", "pinion.toml: sensors[0].address:"),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\nlable = \"x\"", "pinion.toml: sensors[0].lable: unknown key"),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\n[[sensors]]\nbus = \"i2c-1\"\ntype = \"tmp102\"\naddress = 0x48",
         "pinion.toml: sensors[1].address: i2c-1 0x48 is already sensors[0]"),
        ("[sampling]\npower_hz = 100\nmax_gap_s = 0.01", "pinion.toml: sampling.max_gap_s: 0.01 s is shorter than two power samples"),
        ("[sampling]\npower_hz = -5", "pinion.toml: sampling.power_hz: expected a number in 0.1...10000 (Hz), got -5"),
        ("[sampling\npower_hz = 1", "pinion.toml: line 1, column"),
        ("[api]\ntcp = \"127.0.0.1:7453\"", "pinion.toml: api.tcp: the API on TCP needs token_file"),
        ("[api]\ntcp = \"localhost\"\ntoken_file = \"/t\"", "pinion.toml: api.tcp: expected \"HOST:PORT\""),
        ("[api]\ntoken_file = \"/t\"", "pinion.toml: api.token_file: only used with tcp"),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"ina238\"\naddress = 0x40",
         "pinion.toml: sensors[0].type: expected one of ina219, ina226, ina228, ina3221, lm75, tmp102, got \"ina238\""),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\nchannel = 2", "pinion.toml: sensors[0].channel: only ina3221 has channels"),
        ("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\nshunt_ohms = 0.1", "pinion.toml: sensors[0].shunt_ohms: lm75 is a thermometer and has no shunt"),
        ("[scheduler]\npolicy = \"fastest\"", "pinion.toml: scheduler.policy: expected one of energy-aware, fifo, round-robin"),
        ("[scheduler]\nkeep_finished_hours = -1", "pinion.toml: scheduler.keep_finished_hours: expected a number in 0...87600 (h), got -1"),
        ("[upstream]\nhost = \"b\"\ntelemetry = \"xml\"", "pinion.toml: upstream.telemetry: is 'xml'; use sparkplug, json or off"),
        ("[upstream]\nhost = \"b\"\ngroup_id = \"site/7\"", "pinion.toml: upstream.group_id: 'site/7' contains '/'"),
        ("[upstream]\nhost = \"b\"\nnode_id = \"\"", "pinion.toml: upstream.node_id: '' is empty"),
        ("[upstream]\nhost = \"b\"\ntasks = \"$share/g/jobs\"", "pinion.toml: upstream.tasks: '$share/g/jobs' is not a topic to take tasks from"),
        ("[upstream]\nhost = \"b\"\ntasks = \"jobs\"\ntasks_share = \"a/b\"", "pinion.toml: upstream.tasks_share: 'a/b' may not contain /, + or #"),
        ("[upstream]\nhost = \"b\"\ntelemetry_interval_s = 0", "pinion.toml: upstream.telemetry_interval_s: expected a number in 0.1...86400 (s), got 0"),
        ("[upstream]\nhost = \"b\"\noutbox_max_mb = 0", "pinion.toml: upstream.outbox_max_mb: expected a number in 0.1...1048576 (MiB), got 0"),
        ("[upstream]\nhost = \"b\"\noutbox_max_age_hours = \"a week\"", "pinion.toml: upstream.outbox_max_age_hours: expected a number"),
    ])
    func badEntriesSayWhatAndWhere(text: String, expected: String) {
        #expect {
            try GatewayConfiguration.parse(text, file: "pinion.toml")
        } throws: { error in
            "\(error)".hasPrefix(expected) && !"\(error)".contains("\n")
        }
    }

    @Test func finishedTasksAreKeptAWeekUnlessSaidOtherwise() throws {
        #expect(try GatewayConfiguration.parse("", file: "pinion.toml").scheduler.keepFinishedHours == 168)
        #expect(try GatewayConfiguration.parse("[scheduler]\nkeep_finished_hours = 24", file: "pinion.toml").scheduler.keepFinishedHours == 24)
        #expect(try GatewayConfiguration.parse("[scheduler]\nkeep_finished_hours = 0", file: "pinion.toml").scheduler.keepFinishedHours == 0)
    }

    @Test func upstreamOutboxLimits() throws {
        let defaults = try #require(try GatewayConfiguration.parse("[upstream]\nhost = \"b\"", file: "pinion.toml").upstream)
        #expect(defaults.outboxMaxBytes == 256 << 20)
        #expect(defaults.outboxMaxAgeSeconds == 30 * 86_400)
        let set = try #require(try GatewayConfiguration.parse("[upstream]\nhost = \"b\"\ntopic_prefix = \"p\"\noutbox_max_mb = 0.5\noutbox_max_age_hours = 48",
                                                              file: "pinion.toml").upstream)
        #expect(set.outboxMaxBytes == 512 << 10)
        #expect(set.outboxMaxAgeSeconds == 48 * 3600)
        let limits = set.outboxLimits(gateway: "abcd")
        #expect(limits.maxBytes == 512 << 10 && limits.maxAgeSeconds == 48 * 3600)
        #expect(limits.noticeTopic == "p/abcd/outbox/evicted")
    }

    @Test func samplersPerBusWithProblemsReportedNotFatal() throws {
        let gateway = SimulatedGateway(catalogue: try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil)))
        defer { gateway.shutdown() }
        let text = example + "\n[[sensors]]\nbus = \"i2c-7\"\ntype = \"lm75\"\naddress = 0x48\n"
        let configuration = try GatewayConfiguration.parse(text, file: "pinion.toml")
        let meter = EnergyMeter(boardOfRail: SensorSampling.boardsByRail(configuration))
        let clock = ManualSamplerClock()
        let (samplers, problems) = SensorSampling.samplers(for: configuration, buses: gateway.i2c, clock: clock, sink: meter)
        #expect(samplers.count == 1)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("i2c-7:") == true, "\(problems)")
        while clock.now() < 1 { samplers[0].step() }
        let rail = try #require(meter.rails.first)
        #expect(rail.joules > 0)
        #expect(meter.ledger.perBoard.keys.sorted() == ["EMU-S-0001"])
        #expect(abs((meter.ledger.idlePerBoard["EMU-S-0001"] ?? 0) - rail.joules) < 1e-9, "no tasks yet: all idle")
    }

    /// A file setting `key` to `value`, and nothing else wrong.
    static func text(setting key: NumericKey, to value: String) -> String {
        switch key.section {
        case "sensors[]":
            let shunt = key == .shuntOhms ? "" : "shunt_ohms = 0.01\n"
            return "[[sensors]]\nbus = \"i2c-1\"\ntype = \"ina226\"\naddress = 0x40\n\(shunt)\(key.name) = \(value)\n"
        case "upstream": return "[upstream]\nhost = \"b\"\n\(key.name) = \(value)\n"
        default: return "[\(key.section)]\n\(key.name) = \(value)\n"
        }
    }

    @Test(arguments: NumericKey.all)
    func everyNumericKeyHasARangeAndSaysWhereItIsBroken(key: NumericKey) throws {
        let path = key.section == "sensors[]" ? "sensors[0].\(key.name)" : key.path
        let outside = [key.range.upperBound * 2 + 1, key.range.lowerBound - 1, 1e300, -1e300]
        for value in outside.map(NumericKey.text) + ["inf", "nan", "\"10\""] {
            let problems = GatewayConfiguration.check(Self.text(setting: key, to: value), file: "pinion.toml").1
            #expect(problems.map(\.key) == [path], "\(key.path) = \(value): \(problems)")
            #expect(problems.first?.file == "pinion.toml")
        }
        let inRange = key.integer ? key.range.upperBound : (key.range.lowerBound + key.range.upperBound) / 2
        let highest = key == .maximumGapSeconds ? "[sampling]\npower_hz = 100\nmax_gap_s = \(NumericKey.text(inRange))\n"
            : Self.text(setting: key, to: NumericKey.text(inRange))
        #expect(GatewayConfiguration.check(highest, file: "pinion.toml").1.isEmpty, "\(key.path) = \(inRange)")
    }

    @Test func theDocumentedTableListsEveryNumericKeyWithItsRange() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let page = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let rows = page.split(separator: "\n").filter { $0.hasPrefix("| `") }
        for key in NumericKey.all {
            let row = rows.first { $0.hasPrefix("| `\(key.path)` |") }
            #expect(row?.contains("| \(key.rangeText) |") == true, "docs/configuration.md has no row `\(key.path)` with \(key.rangeText)")
        }
    }

    @Test func everyProblemOfAFileIsReportedNotOnlyTheFirst() {
        let text = "[sampling]\npower_hz = 0\ntemperature_hz = 1e9\n[ledger]\nenergy_report_s = \"x\"\nsignature = 1\n[upstream]\nport = 0\n"
        let problems = GatewayConfiguration.check(text, file: "p.toml").1
        #expect(problems.map(\.key) == ["sampling.power_hz", "sampling.temperature_hz", "ledger.energy_report_s", "ledger.signature",
                                        "upstream.host", "upstream.port"], "\(problems)")
        #expect(problems.map { $0.message.split(separator: "(").last.map(String.init) ?? "" }
                == ["line 2)", "line 3)", "line 5)", "line 6)", "required)", "line 8)"], "\(problems)")
        #expect(problems[0].description == "p.toml: sampling.power_hz: expected a number in 0.1...10000 (Hz), got 0 (line 2)")
        let sensor = GatewayConfiguration.check("[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\n\n[[sensors]]\nbus = \"i2c-1\"\ntype = \"lm75\"\naddress = 0x48\n",
                                                file: "p.toml").1
        #expect(sensor.map(\.description) == ["p.toml: sensors[1].address: i2c-1 0x48 is already sensors[0] (line 9)"])
    }

    @Test func anUnknownPolicyNameStopsTheControllerNamingTheKeyAndTheValidNames() async throws {
        var settings = SchedulerSettings()
        settings.policy = "fastest"
        settings.journal = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: settings.journal + suffix) } }
        await #expect {
            _ = try await ControllerCore(settings: settings)
        } throws: { error in
            "\(error)" == "[scheduler] policy: expected one of energy-aware, fifo, round-robin, got \"fastest\""
        }
    }
}

@Suite("Gateway configuration: [firmware]")
struct FirmwareConfigurationTests {
    @Test func directoryAndTrustStoreAreRead() throws {
        let configuration = try GatewayConfiguration.parse("""
            [firmware]
            directory = "/var/lib/pinion/firmware"
            trust_store = "/etc/pinion/site-keys"
            """, file: "pinion.toml")
        #expect(configuration.firmware == FirmwareSettings(directory: "/var/lib/pinion/firmware", trustStore: "/etc/pinion/site-keys"))
        #expect(try GatewayConfiguration.parse("", file: "pinion.toml").firmware == FirmwareSettings(), "none by default")
    }

    @Test func aWrongKeyOrAnEmptyDirectoryIsAnErrorNamingTheKey() {
        #expect(throws: CatalogueError.self) { try GatewayConfiguration.parse("[firmware]\ndirectroy = \"/x\"\n", file: "pinion.toml") }
        let (_, unknown) = GatewayConfiguration.check("[firmware]\ndirectroy = \"/x\"\n", file: "pinion.toml")
        #expect(unknown.count == 1 && "\(unknown[0])".contains("directroy"), "\(unknown)")
        let (_, empty) = GatewayConfiguration.check("[firmware]\ntrust_store = \"\"\n", file: "pinion.toml")
        #expect(empty.count == 1 && "\(empty[0])".contains("firmware.trust_store") && "\(empty[0])".contains("empty"), "\(empty)")
        let (_, wrongType) = GatewayConfiguration.check("[firmware]\ndirectory = 3\n", file: "pinion.toml")
        #expect(wrongType.count == 1 && "\(wrongType[0])".contains("firmware.directory"), "\(wrongType)")
    }
}

@Suite("Shipped configuration example")
struct ShippedConfigurationTests {
    @Test func configExampleIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/pinion.example.toml").path
        let configuration = try GatewayConfiguration.load(path: path)
        #expect(configuration.sensors.count == 3)
        #expect(configuration.sensors.first?.board == "EMU-L-0001")
        #expect(configuration.sensors[1].sensor.channel == 2)
        #expect(configuration.upstream == nil, "nothing is sent anywhere until the integrator says where")
        // The commented [upstream] table, uncommented as an integrator would.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let table = try #require(text.range(of: "# [upstream]\n"))
        let uncommented = text[..<table.lowerBound] + text[table.lowerBound...].split(separator: "\n").map { $0.hasPrefix("# ") ? $0.dropFirst(2) : $0 }
            .joined(separator: "\n")
        let upstream = try #require(try GatewayConfiguration.parse(String(uncommented), file: path).upstream)
        #expect(upstream.host == "mqtt.example.net" && upstream.port == 8883 && upstream.certificateFile != nil && upstream.username != nil)
        #expect(upstream.outboxMaxBytes == 256 << 20 && upstream.outboxMaxAgeSeconds == 30 * 86_400)
        #expect(upstream.telemetry == "sparkplug" && upstream.groupID == "site-7" && upstream.tasksSubscription == "$share/pinion/jobs/digits")
        // The commented [firmware] table, uncommented the same way.
        #expect(try GatewayConfiguration.parse(text, file: path).firmware == FirmwareSettings())
        let firmwareTable = try #require(text.range(of: "# [firmware]\n"))
        let firmwareLines = text[firmwareTable.lowerBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { !$0.isEmpty }.map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : String($0) }
        let firmware = try GatewayConfiguration.parse(firmwareLines.joined(separator: "\n"), file: path).firmware
        #expect(firmware.directory == "/var/lib/pinion/firmware" && firmware.trustStore == "/etc/pinion/trusted-keys")
    }
}
