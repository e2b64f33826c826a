import Foundation
import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
import PinionTestSupport
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
            let run = try Running(gateway)
            defer { run.stop() }
            try run.submit((5..<8).map { "t\($0)" })
            // The whole-file check runs in the background at low priority: wait for its word before stopping.
            let deadline = Date().addingTimeInterval(30)
            while !run.log().contains("ledger: the whole file verified") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            run.stop()
            let log = run.log()
            #expect(log.contains("ledger: dropped a torn final line (13 bytes at byte"), "\(log)")
            #expect(log.contains("ledger: the whole file verified (5 entries before this start"), "\(log)")
            let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
            #expect(verify.status == 0 && verify.stdout.contains("ok: 8 entries seq 0…7"), "\(verify.stdout)\(verify.stderr)")
        }
    }

    /// `[ledger] segment_max_bytes`: `pinion run` closes segments with checkpoints, a restart
    /// continues the newest, and `pinion ledger verify` checks them all, from the file or the directory.
    @Test func segmentsAreClosedByRunAndVerifiedAcrossCheckpoints() throws {
        let gateway = try TestGateway("segments")
        defer { gateway.remove() }
        let config = try String(contentsOf: gateway.config, encoding: .utf8)
            .replacingOccurrences(of: "path = \"\(gateway.ledger)\"", with: "path = \"\(gateway.ledger)\"\nsegment_max_bytes = 4096")
        try config.write(to: gateway.config, atomically: true, encoding: .utf8)
        try Self.runTasks(gateway, ids: (0..<12).map { "s\($0)" })
        try Self.runTasks(gateway, ids: (12..<20).map { "s\($0)" })
        let closed = try FileManager.default.contentsOfDirectory(atPath: gateway.ledger + ".segments").filter { $0.hasSuffix(".jsonl") }
        // Receipts due together are one append, never split: the second run closes at least the first run's segment.
        #expect(closed.count >= 1, "\(closed)")
        let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
        #expect(verify.status == 0 && verify.stdout.contains("ok: 20 entries seq 0…19 (20 compute receipts") && verify.stdout.contains("in \(closed.count + 1) segments"),
                "\(verify.stdout)\(verify.stderr)")
        let directory = try PinionProcess.run(["ledger", "verify", gateway.ledger + ".segments"])
        #expect(directory.status == 0 && directory.stdout.contains("ok: 20 entries seq 0…19"), "\(directory.stdout)\(directory.stderr)")
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

    /// A full disk under the ledger while tasks run: their receipts wait (none is dropped), the
    /// failure shows at once in the log, /metrics and `pinion status`, and once there is space
    /// they are all written and the chain verifies.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs to fill needs root: this test of a full disk under pinion run did not run"))
    func aFullDiskHoldsReceiptsBackSaysSoAndWritesThemAllLater() async throws {
        try await BlockingCall.run("full disk") {
            let gateway = try TestGateway("disk-full")
            defer { gateway.remove() }
            let small = gateway.directory.appendingPathComponent("small").path
            try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
            try #require(try ProgramRun("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", small]).status == 0, "mount -t tmpfs failed although root")
            defer { _ = try? ProgramRun("/bin/umount", [small]) }
            let ledger = small + "/ledger.jsonl"
            let config = try String(contentsOf: gateway.config, encoding: .utf8).replacingOccurrences(of: "path = \"\(gateway.ledger)\"", with: "path = \"\(ledger)\"")
            try config.write(to: gateway.config, atomically: true, encoding: .utf8)
            let run = try Running(gateway)
            defer { run.stop() }
            try run.submit((0..<20).map { "f\($0)" })
            try Self.waitUntil("20 receipts in the ledger") { (try? String(contentsOfFile: ledger, encoding: .utf8))?.split(separator: "\n").count == 20 }
            // Fill the file system.
            let filler = small + "/filler"
            _ = FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try #require(FileHandle(forWritingAtPath: filler))
            while (try? handle.write(contentsOf: Data(count: 1024))) != nil {}
            try handle.close()
            try run.submit((20..<120).map { "f\($0)" })
            let metrics = { (try? gateway.client.text("/metrics").text) ?? "" }
            try Self.waitUntil("the metrics show receipts held back") {
                metrics().contains("pinion_ledger_writing 0") && metrics().contains("pinion_ledger_pending_receipts 100")
            }
            #expect(!metrics().contains("pinion_ledger_append_failures_total 0"))
            let status = try PinionProcess.run(["status", "--config", gateway.config.path])
            #expect(status.stdout.contains("ledger: NOT WRITING: 100 receipts pending"), "\(status.stdout)")
            #expect(run.log().contains("ledger: cannot write: ") && run.log().contains("receipts wait:") && run.log().contains("No space left on device"), "\(run.log())")
            // Space again: every receipt is written, in one chain.
            try FileManager.default.removeItem(atPath: filler)
            try Self.waitUntil("the held-back receipts written") { metrics().contains("pinion_ledger_pending_receipts 0") && metrics().contains("pinion_ledger_writing 1") }
            #expect(run.log().contains("ledger: writing again: 100 entries written, none pending"), "\(run.log())")
            run.stop()
            let verify = try PinionProcess.run(["ledger", "verify", ledger])
            #expect(verify.stdout.contains("ok: 120 entries seq 0…119 (120 compute receipts"), "\(verify.stdout)\(verify.stderr)")
            let tasks = Set(try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "\\\"task\\\":\\\"") else { return nil }
                return String(line[range.upperBound...].prefix { $0 != "\\" })
            })
            #expect(tasks == Set((0..<120).map { "f\($0)" }))
        }
    }

    static func waitUntil(_ what: String, within seconds: Double = 30, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw CLIError("not within \(seconds) s: \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// `pinion run --simulate` for a test gateway, its output in a file.
    final class Running {
        let gateway: TestGateway
        let process = Process()
        let output: URL

        init(_ gateway: TestGateway) throws {
            self.gateway = gateway
            output = gateway.directory.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.executableURL = PinionProcess.executable
            process.arguments = ["run", "--simulate", "--config", gateway.config.path]
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = process.standardOutput
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while (try? gateway.client.get("/v1/status", as: SchedulerStatus.self))?.boards.count ?? 0 < 4 {
                guard Date() < deadline, process.isRunning else {
                    stop()
                    throw CLIError("pinion run did not answer with four boards: \(log())")
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        /// Submits tasks `ids` and waits until they are done.
        func submit(_ ids: [String]) throws {
            let split = try DigitsDataset.testSplit()
            let client = gateway.client
            let before = (try client.get("/v1/tasks?limit=1", as: TaskList.self).counts["done"]) ?? 0
            _ = try client.post("/v1/tasks", SubmitRequest(tasks: ids.enumerated().map { SubmitRequest.Task(id: $1, model: "digits", input: split[$0].input.map(Int.init)) }),
                                as: SubmitResponse.self)
            try ControllerRestartTests.waitFor(client, done: before + ids.count)
        }

        /// Stops it with SIGTERM (receipts are flushed).
        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        func log() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
    }

    /// Starts the controller, runs `ids` to done, stops it and returns its standard output.
    @discardableResult
    static func runTasks(_ gateway: TestGateway, ids: [String]) throws -> String {
        let run = try Running(gateway)
        defer { run.stop() }
        try run.submit(ids)
        run.stop()
        return run.log()
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
