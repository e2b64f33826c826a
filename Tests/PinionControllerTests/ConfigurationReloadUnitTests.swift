import Foundation
import Glibc
import Logging
import PinionController
import Synchronization
import Testing

/// What a reload applies at once and what waits for a restart, and how lines are written for
/// the journal.
@Suite("Configuration reload and journal lines")
struct ConfigurationReloadUnitTests {
    static let base = """
        [sampling]
        power_hz = 100
        [scheduler]
        journal = "/tmp/j.sqlite"
        [api]
        socket = "/tmp/a.sock"
        [upstream]
        host = "broker"
        """

    static func configuration(_ text: String) throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(text, file: "test.toml")
    }

    @Test func samplingPolicyAndBrokerAreLiveStateAndListenersNeedARestart() throws {
        let running = try Self.configuration(Self.base)
        let reloaded = try Self.configuration(Self.base
            .replacingOccurrences(of: "power_hz = 100", with: "power_hz = 12.5")
            .replacingOccurrences(of: "[scheduler]", with: "[scheduler]\npolicy = \"fifo\"")
            .replacingOccurrences(of: "/tmp/a.sock", with: "/tmp/b.sock")
            .replacingOccurrences(of: "host = \"broker\"", with: "host = \"other\"\nport = 8883"))
        let changes = ConfigurationChanges(from: running, to: reloaded)
        #expect(changes.live == ["sampling.power_hz 100 → 12.5", "scheduler.policy energy-aware → fifo",
                                 "upstream.host broker → other", "upstream.port 1883 → 8883"])
        #expect(changes.restartOnly == ["api.socket"])
        // TLS itself is set up at start: a CA file added is for a restart; topics too.
        let tls = try Self.configuration(Self.base + "\nca_file = \"/etc/ca.pem\"\ntopic_prefix = \"site\"")
        #expect(ConfigurationChanges(from: running, to: tls).restartOnly == ["upstream.ca_file", "upstream.topic_prefix"])
        #expect(ConfigurationChanges(from: running, to: tls).live.isEmpty)
        #expect(ConfigurationChanges(from: running, to: running).isEmpty)
        #expect(ConfigurationChanges(from: running, to: try Self.configuration("")).restartOnly.contains("upstream"))
    }

    @Test func journalLinesCarryTheSyslogPriorityOfTheirLevel() {
        let expected: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        for (level, priority) in expected {
            #expect(JournalStream.format("a line", level: level, journal: true) == "<\(priority)>a line\n")
            #expect(JournalStream.format("a line", level: level, journal: false) == "a line\n")
        }
        // journald reads a priority per line.
        #expect(JournalStream.format("one\ntwo", level: .warning, journal: true) == "<4>one\n<4>two\n")
    }

    @Test func theJournalStreamIsRecognisedByDeviceAndInodeOfTheDescriptor() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)").path
        let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        var status = stat()
        #expect(fstat(descriptor, &status) == 0)
        #expect(JournalStream.isConnected(descriptor: descriptor, journalStream: "\(status.st_dev):\(status.st_ino)"))
        #expect(!JournalStream.isConnected(descriptor: descriptor, journalStream: "\(status.st_dev):\(status.st_ino + 1)"))
        #expect(!JournalStream.isConnected(descriptor: descriptor, journalStream: "\(status.st_dev + 1):\(status.st_ino)"))
        #expect(!JournalStream.isConnected(descriptor: descriptor, journalStream: nil))
        #expect(!JournalStream.isConnected(descriptor: descriptor, journalStream: "garbage"))
    }
}

/// swift-log's lines for the journal: priority first, no timestamp.
@Suite("Journal log handler")
struct JournalLogHandlerTests {
    @Test func eachEntryStartsWithItsPriorityAndHasNoTimestamp() {
        let written = Mutex<[String]>([])
        var logger = Logger(label: "pinion.test") { label in JournalLogHandler(label: label) { text in written.withLock { $0.append(text) } } }
        logger[metadataKey: "board"] = "EMU-S-0001"
        logger.info("linked")
        logger.warning("slow\nsecond line", metadata: ["ms": "900"])
        logger.debug("not at info level")
        let lines = written.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.first == "<6>pinion.test: board=EMU-S-0001 [PinionControllerTests] linked\n")
        #expect(lines.last == "<4>pinion.test: board=EMU-S-0001 ms=900 [PinionControllerTests] slow\n<4>second line\n")
    }
}
