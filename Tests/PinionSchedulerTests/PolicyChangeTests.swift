import Foundation
import PinionScheduler
import Testing

/// A configuration reload changes the placement policy of a running scheduler: tasks already
/// queued are kept and placed by the new policy.
@Suite("Scheduler: policy change while running")
struct PolicyChangeTests {
    /// Places nothing: every task waits.
    struct PlacesNothing: PlacementPolicy {
        let name = "places-nothing"
        mutating func choose(for task: InferenceTask, among boards: [BoardView]) -> String? { nil }
    }

    @Test func queuedTasksArePlacedByTheNewPolicyAndNoneIsLost() async throws {
        let bench = try NPUBench()
        defer { bench.cleanUp() }
        let journal = try TaskJournal(path: bench.journalPath)
        let scheduler = Scheduler(journal: journal, models: try NPUBench.models(), policy: PlacesNothing())
        try await bench.attachAll(to: scheduler)
        let tasks = try SchedulerEndToEndTests.digitTasks(40)
        _ = try await scheduler.submit(tasks.map(\.0))
        // Placing is done by the time `submit` returns: nothing was placed.
        #expect(await scheduler.status().queued == 40)

        await scheduler.setPolicy(FIFOPolicy())
        #expect(await scheduler.status().policy == "fifo")
        for (task, sample) in tasks {
            let record = try await scheduler.result(of: task.id)
            #expect(record.result?.output == sample.referenceLogits.map { UInt8(bitPattern: $0) }, "task \(task.id)")
        }
        #expect(try await journal.counts()[.done] == 40)
        // FIFO: the first board takes what it can hold before any other gets one.
        #expect(await scheduler.status().boards.first?.completed ?? 0 > 0)
    }
}
