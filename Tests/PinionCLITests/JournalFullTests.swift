import Foundation
@testable import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
import Testing

/// When the task journal cannot store a submission (here: `pinion run` under `ulimit -f`, so
/// SQLite's writes past 1 MiB fail), the submitter gets a JSON error saying so, never an empty
/// 500, and the controller goes on answering (issue #13, item 1).
@Suite("pinion run: a journal that cannot be written")
struct JournalFullTests {
    @Test func aSubmissionTheJournalCannotStoreGetsAClearJSONError() async throws {
        try await BlockingCall.run("journal full scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let gateway = try TestGateway("journal-full")
        defer { gateway.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process.
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f 2048; exec \"$0\" run --simulate --config \"$1\"",
                             PinionProcess.executable.path, gateway.config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let client = gateway.client
        var started = false
        for _ in 0..<600 where !started {
            started = (try? client.get("/v1/status", as: SchedulerStatus.self)) != nil
            if !started { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(started, "pinion run answered")

        let input = try DigitsDataset.testSplit()[0].input.map(Int.init)
        var refusal: (status: Int, body: Data)?
        for round in 0..<8 where refusal == nil {
            let request = SubmitRequest(tasks: (0..<7_000).map { .init(id: "r\(round)-\($0)", model: "digits", input: input) })
            let answer = try client.send("POST", "/v1/tasks", body: try JSONEncoder().encode(request), timeout: 60)
            if answer.status != 200 { refusal = (answer.status, answer.body) }
        }
        let (status, body) = try #require(refusal, "the journal took 56,000 tasks under a 1 MiB file size limit")
        #expect(status == 507 || status == 503, "\(status)")
        let error = try JSONDecoder().decode(APIErrorBody.self, from: body)
        #expect(error.error.contains("task journal"), "\(error.error)")
        // The controller is still there and says so.
        #expect((try? client.get("/v1/status", as: SchedulerStatus.self)) != nil)
    }
}
