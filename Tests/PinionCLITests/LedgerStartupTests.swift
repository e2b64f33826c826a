import Foundation
import PinionController
import PinionModels
import PinionScheduler
import PinionTestSupport
import PinionUSB
import Testing

/// `pinion run` and the ledger it continues: a lost identity, a key rotation, a torn final line,
/// a repair (issue #13).
@Suite("pinion run: the ledger it continues")
struct LedgerStartupTests {
    @Test func aLostIdentityWithALedgerIsRefusedNotReplaced() async throws {
        try await BlockingCall.run("lost identity") {
            let gateway = try TestGateway("lost-identity")
            defer { gateway.remove() }
            try Self.runTasks(gateway, ids: (0..<5).map { "a\($0)" })
            let identity = gateway.directory.appendingPathComponent("identity.pem").path
            try FileManager.default.removeItem(atPath: identity)
            let before = try Data(contentsOf: URL(fileURLWithPath: gateway.ledger))
            let run = try Self.runToExit(["run", "--simulate", "--config", gateway.config.path], within: 30)
            #expect(run.status != 0)
            #expect(run.stderr.contains("is missing, but the ledger") && run.stderr.contains("move \(gateway.ledger) aside"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: identity), "no new key is made")
            #expect(try Data(contentsOf: URL(fileURLWithPath: gateway.ledger)) == before)
        }
    }

    @Test func aRotatedIdentityContinuesTheChainAndVerifyFollowsIt() async throws {
        try await BlockingCall.run("rotation") {
            let gateway = try TestGateway("rotate")
            defer { gateway.remove() }
            try Self.runTasks(gateway, ids: (0..<5).map { "r\($0)" })
            let rotate = try PinionProcess.run(["identity", "rotate", "--config", gateway.config.path])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            #expect(rotate.stdout.contains("seq 5 records the rotation"), "\(rotate.stdout)")
            let newKey = try #require(rotate.stdout.split(separator: "\n").last.map(String.init))
            let log = try Self.runTasks(gateway, ids: (5..<10).map { "r\($0)" })
            #expect(log.contains("signed by gateway \(newKey)"), "\(log)")
            let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
            #expect(verify.status == 0, "\(verify.stderr)")
            #expect(verify.stdout.contains("ok: 11 entries seq 0…10 (10 compute receipts, 0 energy reports, 1 key rotation) signed, from the last rotation on, by gateway \(newKey)"),
                    "\(verify.stdout)")
        }
    }

    @Test func aTornFinalLineIsDroppedAtStartAndSaid() async throws {
        try await BlockingCall.run("torn tail") {
            let gateway = try TestGateway("torn")
            defer { gateway.remove() }
            try Self.runTasks(gateway, ids: (0..<5).map { "t\($0)" })
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: gateway.ledger))
            try file.seekToEnd()
            try file.write(contentsOf: Data("{\"hash\":\"4f2a".utf8))
            try file.close()
            let log = try Self.runTasks(gateway, ids: (5..<8).map { "t\($0)" })
            #expect(log.contains("ledger: dropped a torn final line (13 bytes at byte"), "\(log)")
            #expect(log.contains("ledger: the whole file verified (5 entries before this start"), "\(log)")
            let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
            #expect(verify.status == 0 && verify.stdout.contains("ok: 8 entries seq 0…7"), "\(verify.stdout)\(verify.stderr)")
        }
    }

    @Test func repairKeepsWhatVerifiesAndMovesTheRestAside() throws {
        let gateway = try TestGateway("repair")
        defer { gateway.remove() }
        try Self.runTasks(gateway, ids: (0..<6).map { "p\($0)" })
        var lines = try String(contentsOfFile: gateway.ledger, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[3] = String(lines[3].prefix(50))
        try (lines.joined(separator: "\n") + "\n").write(toFile: gateway.ledger, atomically: false, encoding: .utf8)
        let refused = try Self.runToExit(["run", "--simulate", "--config", gateway.config.path], within: 30)
        #expect(refused.status != 0 && refused.stderr.contains("pinion ledger repair"), "\(refused.stderr)")
        let repair = try PinionProcess.run(["ledger", "repair", gateway.ledger])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("kept 3 entries seq 0…2"), "\(repair.stdout)")
        let side = try #require(try FileManager.default.contentsOfDirectory(atPath: gateway.directory.path).first { $0.hasPrefix("ledger.jsonl.damaged-") })
        let moved = try String(contentsOfFile: gateway.directory.appendingPathComponent(side).path, encoding: .utf8)
        #expect(moved == lines[3...].joined(separator: "\n") + "\n", "the rest is kept byte for byte")
        #expect(try PinionProcess.run(["ledger", "verify", gateway.ledger]).stdout.contains("ok: 3 entries"))
        #expect(try PinionProcess.run(["ledger", "repair", gateway.ledger]).stdout.contains("nothing to repair"))
    }

    /// Starts the controller, runs `ids` to done, stops it (SIGTERM: receipts are flushed) and
    /// returns its standard output.
    @discardableResult
    static func runTasks(_ gateway: TestGateway, ids: [String]) throws -> String {
        let output = gateway.directory.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = PinionProcess.executable
        process.arguments = ["run", "--simulate", "--config", gateway.config.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let client = gateway.client
        let deadline = Date().addingTimeInterval(30)
        while (try? client.get("/v1/status", as: SchedulerStatus.self))?.boards.count ?? 0 < 4 {
            guard Date() < deadline, process.isRunning else {
                throw CLIError("pinion run did not answer with four boards: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let split = try DigitsDataset.testSplit()
        let before = (try client.get("/v1/tasks?limit=1", as: TaskList.self).counts["done"]) ?? 0
        _ = try client.post("/v1/tasks", SubmitRequest(tasks: ids.enumerated().map { SubmitRequest.Task(id: $1, model: "digits", input: split[$0].input.map(Int.init)) }),
                            as: SubmitResponse.self)
        try ControllerRestartTests.waitFor(client, done: before + ids.count)
        process.terminate()
        process.waitUntilExit()
        return try String(contentsOf: output, encoding: .utf8)
    }

    /// Runs `pinion arguments…`, which must exit by itself within `seconds` (it is killed otherwise).
    static func runToExit(_ arguments: [String], within seconds: Double) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = PinionProcess.executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw CLIError("pinion \(arguments.joined(separator: " ")) was still running after \(seconds) s")
        }
        return (process.terminationStatus, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}
