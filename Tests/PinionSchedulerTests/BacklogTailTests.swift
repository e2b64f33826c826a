import Foundation
import PinionBoardLink
import PinionModels
@testable import PinionScheduler
import Testing

/// Runs one inference at a time, each taking `seconds`, on a timeline of its own: a task starts
/// when the one before it ends (or when it arrives, if the board was idle), so the times it notes
/// are the board's plan, not when a loaded machine happened to wake the test up.
final class TimedBoard: InferenceBoard, @unchecked Sendable {
    let info: BoardInfo
    var serial: String { info.serial }
    let seconds: Double
    private let lock = NSLock()
    private var busyUntil = ContinuousClock.now
    private var finishes: [ContinuousClock.Instant] = []

    init(serial: String, seconds: Double, maxInFlight: UInt16) {
        self.seconds = seconds
        info = BoardInfo(firmwareVersion: "test", serial: serial, modelFormats: [Int8Model.formatName], memoryBytes: 1 << 30,
                         macsPerSecond: 1_000_000, maxInFlight: maxInFlight)
    }

    /// When its last task finished, and how many it ran.
    var lastFinish: ContinuousClock.Instant? { lock.withLock { finishes.max() } }
    var ran: Int { lock.withLock { finishes.count } }

    func loadModel(id: String, bytes: [UInt8]) async throws {}
    func unloadModel(id: String) async throws {}
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        let finish = lock.withLock {
            busyUntil = max(busyUntil, .now) + .seconds(seconds)
            finishes.append(busyUntil)
            return busyUntil
        }
        try await Task.sleep(until: finish)
        return BoardInferenceResult(output: input, computeMicroseconds: UInt32(seconds * 1e6))
    }
}

@Suite("Backlog tail placement")
struct BacklogTailTests {
    func board(_ serial: String, free: Int, inFlight: Int, seconds: Double, canRun: Bool = true, hot: Bool = false) -> BoardView {
        BoardView(serial: serial, freeSlots: free, inFlight: inFlight, hasModel: true, canRun: canRun, hot: hot, secondsPerInference: seconds,
                  joulesPerInference: nil, completed: 100)
    }

    @Test func aSlowBoardGetsWorkWhileTheBacklogIsLongButNotItsLastTasks() {
        let slow = board("S", free: 1, inFlight: 3, seconds: 0.002)
        let fast = board("L", free: 0, inFlight: 4, seconds: 0.0005)
        // 4 × 2 ms on the slow board; the boards together (2,500 tasks/s) need 400 ms for 1,000 tasks.
        #expect(!BacklogTail.shouldWait(placingOn: slow, among: [slow, fast], queued: 1000))
        // 10 tasks left: done in (10 + 7) / 2500 s = 6.8 ms, the slow board would take 8 ms, the full fast one 2.5 ms.
        #expect(BacklogTail.shouldWait(placingOn: slow, among: [slow, fast], queued: 10))
    }

    @Test func theTaskWaitsOnlyForABoardThatWouldFinishItSooner() {
        let slow = board("S", free: 1, inFlight: 3, seconds: 0.002)
        // The fast board is free: where the task goes among free boards is the policy's choice.
        #expect(!BacklogTail.shouldWait(placingOn: slow, among: [slow, board("L", free: 1, inFlight: 3, seconds: 0.0005)], queued: 1))
        // The full board would finish it later (10 × 1 ms), or is hot, or cannot run the model.
        #expect(!BacklogTail.shouldWait(placingOn: slow, among: [slow, board("L", free: 0, inFlight: 9, seconds: 0.001)], queued: 1))
        #expect(!BacklogTail.shouldWait(placingOn: slow, among: [slow, board("L", free: 0, inFlight: 4, seconds: 0.0005, hot: true)], queued: 1))
        #expect(!BacklogTail.shouldWait(placingOn: slow, among: [slow, board("L", free: 0, inFlight: 4, seconds: 0.0005, canRun: false)], queued: 1))
        // An idle board is the policy's call (it may have chosen it for its energy): the task would
        // not queue behind anything there.
        let idle = board("S", free: 4, inFlight: 0, seconds: 0.002)
        #expect(!BacklogTail.shouldWait(placingOn: idle, among: [idle, board("L", free: 0, inFlight: 1, seconds: 0.0005)], queued: 1))
        // Boards that take no time (nothing learned to go by) are never held back.
        let instant = board("Z", free: 1, inFlight: 3, seconds: 0)
        #expect(!BacklogTail.shouldWait(placingOn: instant, among: [instant, board("L", free: 0, inFlight: 4, seconds: 0)], queued: 1))
    }

    /// 120 tasks queued for a fast board (2 ms a task) and a slow one (40 ms), 4 in flight each:
    /// the slow board helps while the backlog is long, but the end of the backlog is not left on
    /// it — it finishes its last task no later than one of its tasks after the fast board's last,
    /// where it used to be still busy for several of them (the utilisation benchmark's tail).
    @Test(.timeLimit(.minutes(1))) func theEndOfABacklogIsNotLeftOnASlowBoard() async throws {
        let (scheduler, path) = try SchedulerPriorityTests.scheduler()
        defer { SchedulerPriorityTests.remove(path) }
        let tasks = (0..<120).map { InferenceTask(id: "t\($0)", model: "zero", input: [1]) }
        _ = try await scheduler.submit(tasks)
        let slow = TimedBoard(serial: "slow", seconds: 0.040, maxInFlight: 4)
        let fast = TimedBoard(serial: "fast", seconds: 0.002, maxInFlight: 4)
        await scheduler.attach(fast)
        await scheduler.attach(slow)
        try await SchedulerPriorityTests.waitForResults(of: tasks, completed: 120, scheduler)
        let slowLast = try #require(slow.lastFinish), fastLast = try #require(fast.lastFinish)
        #expect(slow.ran >= 4, "the slow board ran \(slow.ran) tasks")
        #expect(slowLast - fastLast <= .milliseconds(45),
                "the slow board finished \(slowLast - fastLast) after the fast one, having run \(slow.ran) of 120 tasks")
    }
}
