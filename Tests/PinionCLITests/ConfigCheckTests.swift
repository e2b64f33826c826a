import Foundation
import Testing

/// `pinion config check` on crafted files: one line per problem, a non-zero exit, never "ok" then a failure.
@Suite("pinion config check")
struct ConfigCheckTests {
    /// A directory with `pinion.toml` holding `text`, and a token file of `tokenMode` (nil: none).
    final class Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-check-\(UUID().uuidString)")
        var config: String { url.appendingPathComponent("pinion.toml").path }
        var token: String { url.appendingPathComponent("token").path }

        init(_ text: (Folder) -> String, tokenMode: Int? = nil) throws {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try text(self).write(toFile: config, atomically: true, encoding: .utf8)
            if let tokenMode {
                try "0123456789abcdef0123\n".write(toFile: token, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: tokenMode], ofItemAtPath: token)
            }
        }

        deinit { try? FileManager.default.removeItem(at: url) }

        func check() throws -> (status: Int32, stdout: String, problems: [String]) {
            let outcome = try PinionProcess.run(["config", "check", config])
            return (outcome.status, outcome.stdout, outcome.stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
        }
    }

    @Test(arguments: [
        ("outbox_max_mb = 1e300", "upstream.outbox_max_mb: expected a number in 0.1...1048576 (MiB), got 1e+300 (line 3)"),
        ("telemetry_interval_s = 1e300", "upstream.telemetry_interval_s: expected a number in 0.1...86400 (s), got 1e+300 (line 3)"),
        ("outbox_max_age_hours = 1e306", "upstream.outbox_max_age_hours: expected a number in 0.1...87600 (h), got 1e+306 (line 3)"),
    ])
    func hugeNumbersAreOneLineNotACrash(line: String, expected: String) throws {
        let folder = try Folder { _ in "[upstream]\nhost = \"broker\"\n\(line)\n" }
        let result = try folder.check()
        #expect(result.status == 1)
        #expect(result.problems == ["\(folder.config): \(expected)"])
        #expect(!result.stdout.contains("ok"))
    }

    @Test func everyProblemIsALineOfItsOwn() throws {
        let folder = try Folder { _ in
            """
            [sampling]
            power_hz = 1e9
            [scheduler]
            policy = "fastest"
            power_budget_w = -3
            [ledger]
            energy_report_s = 0
            [upstream]
            host = "broker"
            port = 70000
            telemetry_interval_s = 1e300
            """
        }
        let result = try folder.check()
        #expect(result.status == 1)
        #expect(result.problems.map { $0.components(separatedBy: ": ")[1] }
                == ["sampling.power_hz", "scheduler.policy", "scheduler.power_budget_w", "ledger.energy_report_s", "upstream.port",
                    "upstream.telemetry_interval_s"], "\(result.problems)")
        #expect(!result.stdout.contains("ok"))
    }

    @Test func aMissingTokenFileIsAnErrorOfItsKeyNotOkThenAFailure() throws {
        let folder = try Folder { "[api]\ntcp = \"127.0.0.1:7453\"\ntoken_file = \"\($0.token)\"\n" }
        let result = try folder.check()
        #expect(result.status == 1)
        #expect(result.problems.count == 1 && result.problems.first?.hasPrefix("\(folder.config): api.token_file: cannot read the API token file \(folder.token)") == true,
                "\(result.problems)")
        #expect(!result.stdout.contains("ok"), "\(result.stdout)")
    }

    @Test func aTokenFileOthersCanReadIsReported() throws {
        let folder = try Folder({ "[api]\ntcp = \"127.0.0.1:7453\"\ntoken_file = \"\($0.token)\"\n" }, tokenMode: 0o644)
        let result = try folder.check()
        #expect(result.status == 1)
        #expect(result.problems == ["\(folder.config): api.token_file: the API token file \(folder.token) is open to other users (mode 644): chmod 600 \(folder.token) (line 3)"])
    }

    @Test func aGoodFilePrintsEverySectionUpstreamIncluded() throws {
        let folder = try Folder({ "[api]\ntcp = \"127.0.0.1:7453\"\ntoken_file = \"\($0.token)\"\n[upstream]\nhost = \"broker\"\noutbox_max_mb = 64\n" },
                                tokenMode: 0o600)
        let result = try folder.check()
        #expect(result.status == 0, "\(result.problems)")
        #expect(result.problems.isEmpty)
        let sections = result.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
        #expect(sections == ["sampling", "scheduler", "api", "ledger", "upstream"], "\(result.stdout)")
        #expect(result.stdout.contains("outbox at most 64 MiB"))
        #expect(result.stdout.hasPrefix("\(folder.config): ok\n"))
    }
}
