import Synchronization

/// When each task ran on which board, on a clock shared with the energy meter, so that measured
/// energy can be attributed to the tasks that used it.
///
/// The meter asks about a segment between two of a rail's samples as soon as the second arrives,
/// so only the last moments matter: the log keeps `retentionSeconds` (30 s, a segment of a rail
/// sampled at 0.05 Hz) and drops older intervals every quarter of that. At 30,000 tasks a second
/// that is about a million intervals, not every task since the start; a board's intervals are
/// kept in order of their end, so a question costs a binary search, not a scan.
public final class TaskIntervalLog: Sendable {
    public struct Interval: Sendable, Hashable {
        public var taskID: String
        public var model: String
        public var board: String
        public var start: Double
        public var end: Double
    }

    private struct State {
        /// Per board, ordered by `end`.
        var boards: [String: [Interval]] = [:]
        var lastPrune = -Double.infinity
    }

    public let now: @Sendable () -> Double
    public let retentionSeconds: Double
    private let state = Mutex(State())

    public init(retentionSeconds: Double = 30, now: @escaping @Sendable () -> Double) {
        self.now = now
        self.retentionSeconds = retentionSeconds
    }

    func record(_ interval: Interval) {
        state.withLock { state in
            var intervals = state.boards.removeValue(forKey: interval.board) ?? []
            // Tasks in flight on one board finish in nearly the order they are recorded.
            var position = intervals.count
            while position > 0 && intervals[position - 1].end > interval.end { position -= 1 }
            intervals.insert(interval, at: position)
            state.boards[interval.board] = intervals
            if interval.end - state.lastPrune >= retentionSeconds / 4 {
                state.lastPrune = interval.end
                Self.drop(before: interval.end - retentionSeconds, in: &state)
            }
        }
    }

    /// The tasks that ran on `board` at some time between `start` and `end`.
    public func intervals(board: String, from start: Double, to end: Double) -> [Interval] {
        state.withLock { state in
            guard let intervals = state.boards[board] else { return [] }
            let first = Self.firstIndex(in: intervals) { $0.end > start }
            return intervals[first...].filter { $0.start < end }
        }
    }

    /// How many intervals are held, for all boards.
    var count: Int { state.withLock { $0.boards.values.reduce(0) { $0 + $1.count } } }

    private static func drop(before horizon: Double, in state: inout State) {
        for board in Array(state.boards.keys) {
            guard var intervals = state.boards.removeValue(forKey: board) else { continue }
            intervals.removeFirst(firstIndex(in: intervals) { $0.end >= horizon })
            if !intervals.isEmpty { state.boards[board] = intervals }
        }
    }

    /// The first index where `isAfter` holds, given it holds for a suffix of `intervals`.
    private static func firstIndex(in intervals: [Interval], where isAfter: (Interval) -> Bool) -> Int {
        var low = 0, high = intervals.count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(intervals[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
