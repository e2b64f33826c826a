import Foundation
import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
import Testing

/// The controller as systemd runs it, killed without warning mid-run: no accepted task may be
/// lost and none may end up with two results.
@Suite("pinion run: kill -9 and restart")
struct ControllerRestartTests {
    @Test func killedMidRunThenRestartedEveryTaskDoneOnceBitExact() async throws {
        try await BlockingCall.run("kill -9 test") { try Self.scenario() }
    }

    static func scenario() throws {
        let gateway = try TestGateway("restart", scheduler: "policy = \"round-robin\"")
        defer { gateway.remove() }
        let directory = gateway.directory
        let config = gateway.config
        let client = gateway.client

        let first = try start(config: config, client: client)
        let split = try DigitsDataset.testSplit()
        let tasks = (0..<1000).map { SubmitRequest.Task(id: "k\($0)", model: "digits", input: split[$0 % split.count].input.map(Int.init)) }
        let submitted = try client.post("/v1/tasks", SubmitRequest(tasks: tasks), as: SubmitResponse.self)
        #expect(submitted.tasks.allSatisfy { $0.status == "accepted" })
        // Let some finish, then kill -9 while the rest are queued or in flight.
        try waitFor(client, done: 50)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let doneAtKill = try client.counts(fromJournalOf: directory)

        let second = try start(config: config, client: client)
        try waitFor(client, done: 1000)
        let list = try client.get("/v1/tasks?limit=2000", as: TaskList.self)
        #expect(list.tasks.count == 1000)
        #expect(list.counts == ["done": 1000])
        let byID = Dictionary(uniqueKeysWithValues: list.tasks.map { ($0.id, $0) })
        for index in 0..<1000 {
            let view = try #require(byID["k\(index)"])
            #expect(view.output == split[index % split.count].referenceLogits.map(Int.init), "k\(index)")
        }
        #expect(doneAtKill < 1000, "the kill came before the end (\(doneAtKill) done)")
        // Resubmitting after the restart changes nothing: the ids are known.
        let again = try client.post("/v1/tasks", SubmitRequest(tasks: Array(tasks.prefix(3))), as: SubmitResponse.self)
        #expect(again.tasks.map(\.status) == ["duplicate", "duplicate", "duplicate"])
        second.terminate()
        second.waitUntilExit()

        // The signed ledger: one receipt per task, across the kill, and the chain verifies.
        let ledger = gateway.ledger
        let verify = try PinionProcess.run(["ledger", "verify", ledger])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("ok: 1000 entries seq 0…999 (1000 compute receipts"), "\(verify.stdout)")
        let receiptTasks = try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "\\\"task\\\":\\\"") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\\" })
        }
        #expect(Set(receiptTasks).count == 1000 && receiptTasks.count == 1000)
    }

    /// Starts `pinion run --simulate --config` and waits until its API answers with boards linked.
    static func start(config: URL, client: ControllerClient) throws -> Process {
        let process = Process()
        process.executableURL = PinionProcess.executable
        process.arguments = ["run", "--simulate", "--config", config.path]
        // Its log goes to a file beside the configuration, so that a start that fails can say why.
        let log = config.deletingLastPathComponent().appendingPathComponent("run-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = logHandle
        try process.run()
        try? logHandle.close()
        // 60 s: on a loaded machine (CI runs the whole suite in parallel) 30 s was once too short.
        let deadline = Date().addingTimeInterval(60)
        var boards = -1
        while Date() < deadline {
            if let status = try? client.get("/v1/status", as: SchedulerStatus.self) {
                boards = status.boards.count
                if boards >= 4 { return process }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        let said = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: " | ") ?? ""
        throw CLIError("pinion run did not answer on its socket with four boards within 60 s (\(boards < 0 ? "no answer" : "\(boards) boards"); it said: \(said))")
    }

    static func waitFor(_ client: ControllerClient, done: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let list = try? client.get("/v1/tasks?limit=1", as: TaskList.self), (list.counts["done"] ?? 0) >= done { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw CLIError("fewer than \(done) tasks done within 60 s")
    }
}

extension ControllerClient {
    /// Done tasks as the journal file says, read directly (the controller is dead).
    func counts(fromJournalOf directory: URL) throws -> Int {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var done = 0
        Task {
            let journal = try? TaskJournal(path: directory.appendingPathComponent("journal.sqlite").path)
            done = (try? await journal?.counts()[.done]) ?? 0
            semaphore.signal()
        }
        semaphore.wait()
        return done
    }
}
