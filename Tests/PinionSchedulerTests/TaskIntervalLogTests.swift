@testable import PinionScheduler
import Testing

@Suite("Task interval log")
struct TaskIntervalLogTests {
    private func interval(_ id: Int, board: String = "B1", start: Double, end: Double) -> TaskIntervalLog.Interval {
        .init(taskID: "t\(id)", model: "digits", board: board, start: start, end: end)
    }

    /// Several tasks in flight finish out of order by a little; every question gets exactly the
    /// tasks that overlap it, as a scan of all of them would.
    @Test func answersEqualAScanWhateverTheOrderOfRecording() {
        let log = TaskIntervalLog(retentionSeconds: 1_000) { 0 }
        var all: [TaskIntervalLog.Interval] = []
        var generator = SystemRandomNumberGenerator()
        for id in 0..<2_000 {
            let end = Double(id) * 0.01 + Double.random(in: 0..<0.05, using: &generator)
            let recorded = interval(id, board: id % 3 == 0 ? "B2" : "B1", start: end - Double.random(in: 0.001..<0.2, using: &generator), end: end)
            all.append(recorded)
            log.record(recorded)
        }
        for _ in 0..<200 {
            let start = Double.random(in: 0..<20, using: &generator)
            let end = start + Double.random(in: 0..<0.5, using: &generator)
            for board in ["B1", "B2"] {
                let expected = all.filter { $0.board == board && $0.start < end && $0.end > start }
                #expect(Set(log.intervals(board: board, from: start, to: end)) == Set(expected))
            }
        }
    }

    /// At 1,000 tasks a second for 10 minutes the log holds the last retention's worth, not 600,000.
    @Test func keepsOnlyTheRetentionWindow() {
        let log = TaskIntervalLog(retentionSeconds: 30) { 0 }
        for id in 0..<600_000 {
            let end = Double(id) / 1_000
            log.record(interval(id, start: end - 0.0008, end: end))
        }
        #expect(log.count <= 30 * 1_000 + 30 * 1_000 / 4 + 1)
        #expect(log.count >= 30 * 1_000)
        #expect(log.intervals(board: "B1", from: 599.4995, to: 599.5005).map(\.taskID) == ["t599500", "t599501"])
        #expect(log.intervals(board: "B1", from: 10, to: 11).isEmpty)
    }
}
