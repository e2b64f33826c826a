import Foundation
import Testing

/// `pinion diag` on the simulated gateway's boards, as a technician runs it.
@Suite("pinion diag")
struct DiagCommandTests {
    @Test func selfTestRunsKnownVectorsBitExactAndMeasures() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0.3"], timeoutSeconds: 60)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        let line = try #require(outcome.stdout.split(separator: "\n").first { $0.contains("self-test:") })
        #expect(line.contains("pass"), "\(line)")
        #expect(line.contains("540 vectors bit-exact"), "\(line)")
        #expect(line.contains("inferences/s"), "\(line)")
    }

    @Test func selfTestFailsABoardWhoseOutputsAreWrong() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0"],
                                            environment: ["PINION_SIM_WRONG_OUTPUTS": "EMU-S-0001"], timeoutSeconds: 60)
        #expect(outcome.status == 1, "\(outcome.stdout)\(outcome.stderr)")
        let line = try #require(outcome.stdout.split(separator: "\n").first { $0.contains("self-test:") })
        #expect(line.contains("fail"), "\(line)")
        #expect(line.contains("540 of 540 outputs not bit-exact"), "\(line)")
        // Standard error says it in one line that names the board, for a script or a log.
        let errors = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(errors.count == 1, "\(outcome.stderr)")
        #expect(errors.first?.hasPrefix("pinion diag: EMU-S-0001 (pinion-emu-npu-s at 1-1) failed self-test: 540 of 540 outputs not bit-exact (first: vector 0: expected [") == true,
                "\(outcome.stderr)")
    }

    @Test func theMismatchCountIncludesTheMeasuredRequests() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0.2"],
                                            environment: ["PINION_SIM_WRONG_OUTPUTS": "EMU-S-0001"], timeoutSeconds: 60)
        #expect(outcome.status == 1, "\(outcome.stdout)\(outcome.stderr)")
        let line = try #require(outcome.stdout.split(separator: "\n").first { $0.contains("self-test:") })
        let counts = try #require(line.firstMatch(of: /(\d+) of (\d+) outputs not bit-exact/), "\(line)")
        #expect(Int(counts.1) == Int(counts.2) && Int(counts.2)! > 540, "\(line)")
    }

    @Test func anUnknownSerialInTheFaultVariablesIsAOneLineError() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0"],
                                            environment: ["PINION_SIM_WRONG_OUTPUTS": "EMU-S-9999"], timeoutSeconds: 60)
        #expect(outcome.status != 0)
        let errors = outcome.stderr.split(separator: "\n")
        #expect(errors.count == 1 && errors[0].contains("PINION_SIM_WRONG_OUTPUTS") && errors[0].contains("EMU-S-9999"), "\(outcome.stderr)")
    }

    @Test func jsonAndBundleCarryTheSelfTestAndItsTrace() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-diag-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bundle = directory.appendingPathComponent("support.json").path
        let json = try #require(try PinionProcess.json(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0.1", "--json",
                                                        "--bundle", bundle]) as? [[String: Any]])
        let checks = try #require(json.first?["checks"] as? [[String: Any]])
        #expect(checks.contains { $0["name"] as? String == "self-test" && $0["verdict"] as? String == "pass" })
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle))) as? [String: Any])
        let selfTests = try #require(written["selfTests"] as? [String: Any])
        let report = try #require(selfTests["EMU-S-0001"] as? [String: Any])
        #expect(report["vectors"] as? Int == 540)
        let steps = try #require(report["trace"] as? [[String: Any]]).compactMap { $0["step"] as? String }
        #expect(steps == ["hello", "load", "vectors", "measure", "unload"])
    }

    @Test func theBundleCarriesDescriptorsTelemetryTheConfigurationWithoutSecretsAndTheLog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-diag-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("pinion.toml")
        try """
            [upstream]
            host = "127.0.0.1"
            username = "gateway-7"
            password_file = "/etc/pinion/mqtt-password"
            # an integrator's mistake: a secret written into the file itself
            password = "hunter2"
              api_token="s3cret"
            """.write(to: config, atomically: true, encoding: .utf8)
        let bundle = directory.appendingPathComponent("support.json").path
        _ = try PinionProcess.run(["diag", "--simulate", "--config", config.path, "EMU-S-0001", "--self-test-seconds", "0", "--bundle", bundle],
                                  timeoutSeconds: 60)
        let text = try String(contentsOfFile: bundle, encoding: .utf8)
        #expect(!text.contains("hunter2") && !text.contains("s3cret"))
        let written = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let configuration = try #require(written["configuration"] as? [String: Any])
        #expect(configuration["path"] as? String == config.path)
        let copy = try #require(configuration["text"] as? String)
        #expect(copy.contains("password = \"(removed)\"") && copy.contains("api_token= \"(removed)\""))
        #expect(copy.contains("username = \"gateway-7\"") && copy.contains("password_file = \"/etc/pinion/mqtt-password\""))
        let descriptors = try #require(written["descriptors"] as? [String: Any])
        let board = try #require(descriptors["EMU-S-0001"] as? [String: Any])
        #expect((board["configurations"] as? [Any])?.isEmpty == false && board["descriptor"] != nil, "\(board.keys)")
        let telemetry = try #require((written["telemetry"] as? [String: Any])?["EMU-S-0001"] as? [String: Any])
        #expect((telemetry["celsius"] as? Double).map { $0 > 20 && $0 < 90 } == true)
        let log = try #require(written["log"] as? [String: Any])
        #expect(log["source"] as? String == "journalctl -u pinion.service -n 200")
        #expect(log["lines"] is [Any])
        #expect(log["note"] is String || (log["lines"] as? [Any])?.isEmpty == false)
    }
}

/// The sensor checks of `pinion diag`: TELEMETRY and the rail monitors bound to the board, against
/// the limits of its descriptor.
@Suite("pinion diag sensors")
struct DiagSensorTests {
    func checkLines(_ environment: [String: String] = [:]) throws -> (status: Int32, lines: [String]) {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0"], environment: environment,
                                            timeoutSeconds: 60)
        return (outcome.status, outcome.stdout.split(separator: "\n").map(String.init))
    }

    @Test func boardTelemetryAndItsRailMonitorAreReadAgainstTheDescriptorLimits() throws {
        let (status, lines) = try checkLines()
        #expect(status == 0, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  pass  temperature: ") && $0.contains("warn at 85.0 °C, max 100.0 °C") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  pass  board power: ") && $0.contains("budget 2.5 W") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  pass  rail EMU-S-0001 5 V: ") && $0.contains(" W (budget 2.5 W)") }, "\(lines)")
    }

    @Test func aHotBoardWarnsAboveWarnAndFailsAboveMax() throws {
        let (warmStatus, warm) = try checkLines(["PINION_SIM_EXTRA_CELSIUS": "EMU-S-0001=50"])
        #expect(warmStatus == 0, "\(warm)")
        #expect(warm.contains { $0.hasPrefix("  warn  temperature: ") && $0.contains("warn_c 85.0") }, "\(warm)")
        let (hotStatus, hot) = try checkLines(["PINION_SIM_EXTRA_CELSIUS": "EMU-S-0001=70"])
        #expect(hotStatus == 1, "\(hot)")
        #expect(hot.contains { $0.hasPrefix("  fail  temperature: ") && $0.contains("max_c 100.0") }, "\(hot)")
    }

    @Test func aBoardInItsBootloaderSaysWhyItsSensorsAreNotRead() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-L-0002"], timeoutSeconds: 60)
        #expect(outcome.stdout.contains("skip  sensors: 2 on-board sensor(s): read over the board protocol, in run-time mode only"), "\(outcome.stdout)")
    }
}

/// The firmware check of `pinion diag`: the board's version against the newest image of a
/// firmware directory, and whether that image is signed by a trusted key.
@Suite("pinion diag firmware")
struct DiagFirmwareTests {
    /// A firmware directory with `versions` signed by a new key, and a trust store holding that key.
    static func firmwareDirectory(_ versions: [String]) throws -> (root: URL, images: String, store: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-diag-fw-\(UUID().uuidString)")
        let images = root.appendingPathComponent("images"), store = root.appendingPathComponent("trusted")
        for directory in [images, store] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        let key = root.appendingPathComponent("release.key").path
        let keygen = try PinionProcess.run(["firmware", "keygen", "-o", key])
        try #require(keygen.status == 0, "\(keygen.stderr)")
        try keygen.stdout.write(to: store.appendingPathComponent("release.pem"), atomically: true, encoding: .utf8)
        let payload = root.appendingPathComponent("payload.bin")
        try Data(repeating: 0x5A, count: 4096).write(to: payload)
        for version in versions {
            let sign = try PinionProcess.run(["firmware", "sign", "--key", key, "--version", version, "-o",
                                              images.appendingPathComponent("npu-s-\(version).bin").path, payload.path])
            try #require(sign.status == 0, "\(sign.stderr)")
        }
        return (root, images.path, store.path)
    }

    func firmwareLine(_ arguments: [String]) throws -> (status: Int32, line: String) {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--self-test-seconds", "0"] + arguments, timeoutSeconds: 60)
        let line = try #require(outcome.stdout.split(separator: "\n").first { $0.contains(" firmware: ") }, "\(outcome.stdout)\(outcome.stderr)")
        return (outcome.status, String(line))
    }

    @Test func aNewerSignedImageIsAnUpdateSignedByATrustedKey() throws {
        let fixture = try Self.firmwareDirectory(["1.1.0", "1.3.0", "1.2.5"])
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let (status, line) = try firmwareLine(["--firmware-dir", fixture.images, "--trust-store", fixture.store])
        #expect(status == 0)
        #expect(line.hasPrefix("  warn  firmware: "), "\(line)")
        #expect(line.contains("update available: 1.3.0") && line.contains("npu-s-1.3.0.bin"), "\(line)")
        #expect(line.contains("signed by trusted key release"), "\(line)")
    }

    /// `[firmware] directory` and `trust_store` of the configuration stand for --firmware-dir and
    /// --trust-store; the options still win.
    @Test func theConfigurationsFirmwareSectionGivesTheDefaults() throws {
        let fixture = try Self.firmwareDirectory(["1.3.0"])
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let config = fixture.root.appendingPathComponent("pinion.toml")
        try "[firmware]\ndirectory = \"\(fixture.images)\"\ntrust_store = \"\(fixture.store)\"\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let (status, line) = try firmwareLine(["--config", config.path])
        #expect(status == 0)
        #expect(line.contains("update available: 1.3.0") && line.contains("signed by trusted key release"), "\(line)")
        let empty = fixture.root.appendingPathComponent("no-keys")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let (_, overridden) = try firmwareLine(["--config", config.path, "--trust-store", empty.path])
        #expect(overridden.contains("update available: 1.3.0") && !overridden.contains("signed by trusted key release"), "\(overridden)")
    }

    @Test func anUntrustedNewerImageIsSaidToBeRefused() throws {
        let fixture = try Self.firmwareDirectory(["1.3.0"])
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let empty = fixture.root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let (_, line) = try firmwareLine(["--firmware-dir", fixture.images, "--trust-store", empty.path])
        #expect(line.contains("update available: 1.3.0") && line.contains("pinion flash would refuse it (untrusted): signed by a key that is not in the trust store"), "\(line)")
    }

    @Test func aBoardOnTheNewestImageIsUpToDate() throws {
        let fixture = try Self.firmwareDirectory(["1.0.0", "1.2.0"])
        defer { try? FileManager.default.removeItem(at: fixture.root) }
        let (status, line) = try firmwareLine(["--firmware-dir", fixture.images, "--trust-store", fixture.store])
        #expect(status == 0)
        #expect(line.hasPrefix("  pass  firmware: 1.2.0 is up to date"), "\(line)")
    }

    @Test func aMissingFirmwareDirectoryIsAOneLineError() throws {
        let outcome = try PinionProcess.run(["diag", "--simulate", "EMU-S-0001", "--firmware-dir", "/nonexistent/firmware"], timeoutSeconds: 60)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("/nonexistent/firmware"), "\(outcome.stderr)")
    }
}
