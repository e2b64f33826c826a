import Foundation
import PinionModels
import PinionScheduler
import Testing

@Suite("Scheduler end to end on four emulated NPU boards")
struct SchedulerEndToEndTests {
    static func digitTasks(_ count: Int, prefix: String = "t") throws -> [(InferenceTask, DigitsDataset.Sample)] {
        let split = try DigitsDataset.testSplit()
        return (0..<count).map { index in
            let sample = split[index % split.count]
            return (InferenceTask(id: "\(prefix)\(index)", model: "digits", input: sample.input.map { UInt8(bitPattern: $0) }), sample)
        }
    }

    @Test func thousandDigitTasksBitExactWithTheReference() async throws {
        let bench = try NPUBench()
        defer { bench.cleanUp() }
        let scheduler = Scheduler(journal: try TaskJournal(path: bench.journalPath), models: try NPUBench.models())
        try await bench.attachAll(to: scheduler)
        let tasks = try Self.digitTasks(1000)
        let outcomes = try await scheduler.submit(tasks.map(\.0))
        #expect(outcomes.allSatisfy { $0 == .accepted })
        var correct = 0, expectedCorrect = 0
        for (task, sample) in tasks {
            let record = try await scheduler.result(of: task.id)
            let result = try #require(record.result)
            #expect(result.output == sample.referenceLogits.map { UInt8(bitPattern: $0) }, "task \(task.id)")
            if Int8Interpreter.argmax(result.output.map { Int8(bitPattern: $0) }) == sample.label { correct += 1 }
            if Int8Interpreter.argmax(sample.referenceLogits) == sample.label { expectedCorrect += 1 }
        }
        #expect(correct == expectedCorrect)
        #expect(Double(correct) / 1000 > 0.97)
        let status = await scheduler.status()
        #expect(status.statistics.completed == 1000)
        #expect(status.statistics.duplicateResults == 0)
        #expect(status.boards.count == 4)
        #expect(status.boards.allSatisfy { $0.completed > 0 }, "\(status.boards.map(\.completed))")
    }

    @Test func aBoardUnpluggedMidRunLosesNoTaskAndDuplicatesNone() async throws {
        let bench = try NPUBench()
        defer { bench.cleanUp() }
        let journal = try TaskJournal(path: bench.journalPath)
        let scheduler = Scheduler(journal: journal, models: try NPUBench.models(), policy: RoundRobinPolicy())
        try await bench.attachAll(to: scheduler)
        let tasks = try Self.digitTasks(1000)
        _ = try await scheduler.submit(tasks.map(\.0))
        // Pull the plug on one board once work is under way.
        _ = try await scheduler.result(of: "t100")
        bench.boards[2].unplug()
        for (task, sample) in tasks {
            let record = try await scheduler.result(of: task.id)
            #expect(record.result?.output == sample.referenceLogits.map { UInt8(bitPattern: $0) })
        }
        let counts = try await journal.counts()
        #expect(counts[.done] == 1000)
        #expect(counts[.queued] == nil && counts[.failed] == nil)
        let status = await scheduler.status()
        #expect(status.boards.map(\.serial).sorted() == ["BENCH-1", "BENCH-2", "BENCH-4"])
        #expect(status.statistics.completed == 1000)
    }

    @Test func submissionsAreCheckedAndIdempotent() async throws {
        let bench = try NPUBench()
        defer { bench.cleanUp() }
        let scheduler = Scheduler(journal: try TaskJournal(path: bench.journalPath), models: try NPUBench.models())
        await #expect(throws: SchedulerError.unknownModel(task: "x", model: "resnet", known: ["digits"])) {
            try await scheduler.submit([InferenceTask(id: "x", model: "resnet", input: [])])
        }
        await #expect(throws: SchedulerError.badInput(task: "y", "model 'digits' takes 64 int8 values, got 3")) {
            try await scheduler.submit([InferenceTask(id: "y", model: "digits", input: [1, 2, 3])])
        }
        let task = try Self.digitTasks(1)[0].0
        #expect(try await scheduler.submit([task]) == [.accepted])
        #expect(try await scheduler.submit([task]) == [.duplicate(.queued)])
    }
}

@Suite("Task journal")
struct TaskJournalTests {
    @Test func acceptedTasksSurviveARestartAndGetExactlyOneResult() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let journal = try TaskJournal(path: path)
            _ = try await journal.submit([InferenceTask(id: "a", model: "m", input: [1]), InferenceTask(id: "b", model: "m", input: [2], priority: 5)])
            let result = TaskResult(output: [9], board: "B1", computeMicroseconds: 3, finishedAt: 1)
            #expect(try await journal.complete([("a", result)]) == [true])
            #expect(try await journal.complete([("a", TaskResult(output: [8], board: "B2", computeMicroseconds: 3, finishedAt: 2))]) == [false])
        }
        let reopened = try TaskJournal(path: path)
        let unfinished = try await reopened.recover()
        #expect(unfinished.map(\.id) == ["b"])
        #expect(unfinished.first?.priority == 5)
        let a = try #require(try await reopened.record("a"))
        #expect(a.state == .done)
        #expect(a.result?.output == [9])
        #expect(a.result?.board == "B1")
        #expect(try await reopened.submit([InferenceTask(id: "a", model: "m", input: [1])]) == [.duplicate(.done)])
    }
}
