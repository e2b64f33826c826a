import Foundation
import PinionModels
@testable import PinionScheduler
import Synchronization
import Testing

/// A wall clock the test moves by hand.
final class ManualWallClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

@Suite("Scheduler deadlines on a manual clock")
struct SchedulerClockTests {
    /// Task deadlines are read on the scheduler's clock: moved past one, the task waiting for a
    /// board fails when a board comes, and a task whose deadline is still ahead runs.
    @Test func aDeadlinePassedOnTheClockFailsTheWaitingTask() async throws {
        var models = ModelCatalog()
        try models.add(id: "zero", bytes: try Int8Model(inputShape: [1], inputScale: 1, layers: [.relu]).encoded())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clock-\(UUID().uuidString).sqlite").path
        defer { SchedulerPriorityTests.remove(path) }
        let clock = ManualWallClock()
        let scheduler = Scheduler(journal: try TaskJournal(path: path), models: models, now: { clock.now })
        let start = clock.now.timeIntervalSince1970
        _ = try await scheduler.submit([InferenceTask(id: "soon", model: "zero", input: [1], deadline: start + 10),
                                        InferenceTask(id: "later", model: "zero", input: [2], deadline: start + 60)])
        clock.advance(by: 11)
        await scheduler.attach(InstantBoard(serial: "B1"))
        let soon = try await scheduler.result(of: "soon")
        #expect(soon.state == .failed)
        #expect(soon.error == "deadline passed before a board was free")
        let later = try await scheduler.result(of: "later")
        #expect(later.state == .done)
        #expect(later.result?.finishedAt == start + 11, "result times come from the same clock")
    }
}
