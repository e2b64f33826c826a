import Foundation
import Glibc
import PinionEmulator
import PinionSystem
import Testing

/// Under systemd, `pinion run`'s output is the journal's stream (`$JOURNAL_STREAM` names its
/// device and inode): every line then carries its syslog priority (`<6>` info, `<4>` warning, …);
/// anywhere else the output is as it always was. Standard output and error go to one file, as
/// systemd connects both to the journal.
@Suite("pinion run: journal priorities")
struct JournalPriorityTests {
    @Test(arguments: [true, false])
    func linesCarryTheirPriorityOnlyWhenTheOutputIsTheJournalStream(journal: Bool) async throws {
        try await BlockingCall.run("journal") {
            // A thermometer on a bus the gateway does not have: a warning at start.
            let absent = "[[sensors]]\nbus = \"i2c-9\"\ntype = \"lm75\"\naddress = 0x49\n"
            let gateway = try TestGateway("journal", extra: ConfigurationReloadTests.sampling(powerHz: 100) + absent)
            defer { gateway.remove() }
            let output = gateway.directory.appendingPathComponent("run.log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            var status = stat()
            #expect(stat(output.path, &status) == 0)
            let stream = journal ? "\(status.st_dev):\(status.st_ino)" : "\(status.st_dev):\(status.st_ino + 1)"
            let daemon = try Daemon(gateway, environment: ["JOURNAL_STREAM": stream], sharedOutput: true)
            defer { daemon.stop() }
            let text = try daemon.waitUntil { $0.contains("watching for boards") && $0.contains("Server started") }
            daemon.stop()
            #expect(daemon.process.terminationStatus == 0)

            let lines = text.split(separator: "\n")
            let warning = try #require(lines.first { $0.contains("sensor not sampled: i2c-9") })
            let starting = try #require(lines.first { $0.contains("pinion ") && $0.hasSuffix(" starting with emulated boards and sensors") })
            if journal {
                #expect(lines.allSatisfy { $0.range(of: #"^<[2-7]>"#, options: .regularExpression) != nil }, "\(text)")
                #expect(warning.hasPrefix("<4>sensor not sampled: i2c-9"), "\(warning)")
                #expect(starting.hasPrefix("<6>pinion "), "\(starting)")
                // swift-log's lines (the HTTP server's, on standard error) too, and without a timestamp.
                let server = try #require(lines.first { $0.contains("Server started") })
                #expect(server.hasPrefix("<6>pinion: [HummingbirdCore] Server started"), "\(server)")
            } else {
                #expect(!lines.contains { $0.hasPrefix("<") }, "\(text)")
                #expect(warning.hasPrefix("sensor not sampled: i2c-9"), "\(warning)")
                #expect(starting.hasPrefix("pinion "), "\(starting)")
            }
        }
    }
}
