import Foundation
import PinionBoardLink
import PinionModels
@testable import PinionScheduler
import Testing

/// A board that answers every inference at once: placement is all these tests measure.
final class InstantBoard: InferenceBoard {
    let info: BoardInfo
    var serial: String { info.serial }

    init(serial: String) {
        info = BoardInfo(firmwareVersion: "test", serial: serial, modelFormats: [Int8Model.formatName], memoryBytes: 1 << 30,
                         macsPerSecond: 1_000_000_000_000, maxInFlight: 64)
    }

    func loadModel(id: String, bytes: [UInt8]) async throws {}
    func unloadModel(id: String) async throws {}
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        BoardInferenceResult(output: input, computeMicroseconds: 1)
    }
}

@Suite("Scheduler priorities")
struct SchedulerPriorityTests {
    static func scheduler() throws -> (Scheduler, String) {
        var models = ModelCatalog()
        try models.add(id: "zero", bytes: try Int8Model(inputShape: [1], inputScale: 1, layers: [.relu]).encoded())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("priorities-\(UUID().uuidString).sqlite").path
        return (Scheduler(journal: try TaskJournal(path: path), models: models), path)
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Waits for the results of `tasks`; then `count` tasks have completed in all.
    static func waitForResults(of tasks: [InferenceTask], completed count: Int, _ scheduler: Scheduler) async throws {
        for task in tasks { _ = try await scheduler.result(of: task.id) }
        #expect(await scheduler.status().statistics.completed == count)
    }

    /// 2,000 tasks with distinct priorities, then 500 ordinary ones: the queues of drained
    /// priorities are gone, and placing an ordinary task looks at a queue or two, not 2,000.
    @Test(.timeLimit(.minutes(1))) func drainedPrioritiesLeaveNoQueueAndDoNotSlowLaterPlacement() async throws {
        let (scheduler, path) = try Self.scheduler()
        defer { Self.remove(path) }
        let distinct = (0..<2000).map { InferenceTask(id: "d\($0)", model: "zero", input: [1], priority: $0 - 1000) }
        _ = try await scheduler.submit(distinct)
        #expect(await scheduler.status().queuedPriorities == 2000)
        await scheduler.attach(InstantBoard(serial: "B1"))
        try await Self.waitForResults(of: distinct, completed: 2000, scheduler)
        #expect(await scheduler.status().queuedPriorities == 0)

        let visitsBefore = await scheduler.queueVisits
        let ordinary = (0..<500).map { InferenceTask(id: "o\($0)", model: "zero", input: [1]) }
        for task in ordinary { _ = try await scheduler.submit([task]) }
        try await Self.waitForResults(of: ordinary, completed: 2500, scheduler)
        let visitsPerTask = Double(await scheduler.queueVisits - visitsBefore) / 500
        #expect(visitsPerTask <= 4, "placing one ordinary task looked at \(visitsPerTask) priority queues")
    }

    @Test(.timeLimit(.minutes(1))) func theHighestPriorityStillRunsFirst() async throws {
        let (scheduler, path) = try Self.scheduler()
        defer { Self.remove(path) }
        let priorities = [3, -7, 10_000, 0, -10_000, 3, 42]
        let tasks = priorities.enumerated().map { InferenceTask(id: "t\($0.offset)", model: "zero", input: [1], priority: $0.element) }
        _ = try await scheduler.submit(tasks)
        let order = OrderRecorder()
        await scheduler.observeResults { order.append($0.task.id) }
        let board = InstantBoard(serial: "B1")
        await scheduler.attach(SerialBoard(board))
        try await Self.waitForResults(of: tasks, completed: priorities.count, scheduler)
        #expect(order.ids == ["t2", "t6", "t0", "t5", "t3", "t1", "t4"])
        #expect(await scheduler.status().queuedPriorities == 0)
    }

    @Test(arguments: [TaskPriority.range.upperBound + 1, TaskPriority.range.lowerBound - 1, Int.max, Int.min])
    func outOfRangePrioritiesAreRefusedNamingTheField(_ priority: Int) async throws {
        let (scheduler, path) = try Self.scheduler()
        defer { Self.remove(path) }
        let tasks = [InferenceTask(id: "fine", model: "zero", input: [1]), InferenceTask(id: "odd", model: "zero", input: [1], priority: priority)]
        await #expect(throws: SchedulerError.priorityOutOfRange(task: "odd", priority: priority)) { try await scheduler.submit(tasks) }
        #expect(SchedulerError.priorityOutOfRange(task: "odd", priority: priority).description
                == "task odd: priority: \(priority) is outside \(TaskPriority.range.lowerBound)...\(TaskPriority.range.upperBound)")
        #expect(await scheduler.status().statistics.submitted == 0)
        #expect(try await scheduler.submit([tasks[0]]) == [.accepted])
    }
}

/// Takes one task at a time, so results come in the order tasks were placed.
final class SerialBoard: InferenceBoard {
    let board: InstantBoard
    let info: BoardInfo
    var serial: String { info.serial }

    init(_ board: InstantBoard) {
        self.board = board
        var info = board.info
        info.maxInFlight = 1
        self.info = info
    }

    func loadModel(id: String, bytes: [UInt8]) async throws {}
    func unloadModel(id: String) async throws {}
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        try await board.infer(modelID: modelID, input: input)
    }
}

/// Task ids in the order their results were journaled.
final class OrderRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var ids: [String] { lock.withLock { recorded } }
    func append(_ id: String) { lock.withLock { recorded.append(id) } }
}
