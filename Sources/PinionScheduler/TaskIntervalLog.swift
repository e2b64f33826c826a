import Synchronization

/// When each task ran on which board, on a clock shared with the energy meter, so that measured
/// energy can be attributed to the tasks that used it. Keeps the last `retentionSeconds`.
public final class TaskIntervalLog: Sendable {
    public struct Interval: Sendable, Hashable {
        public var taskID: String
        public var model: String
        public var board: String
        public var start: Double
        public var end: Double
    }

    public let now: @Sendable () -> Double
    private let retentionSeconds: Double
    private let intervals = Mutex<[String: [Interval]]>([:])

    public init(retentionSeconds: Double = 120, now: @escaping @Sendable () -> Double) {
        self.now = now
        self.retentionSeconds = retentionSeconds
    }

    func record(_ interval: Interval) {
        intervals.withLock { all in
            all[interval.board, default: []].append(interval)
            if let first = all[interval.board]?.first, first.start < interval.end - retentionSeconds * 2 {
                all[interval.board]?.removeAll { $0.end < interval.end - retentionSeconds }
            }
        }
    }

    /// The tasks that ran on `board` at some time between `start` and `end`.
    public func intervals(board: String, from start: Double, to end: Double) -> [Interval] {
        intervals.withLock { all in (all[board] ?? []).filter { $0.start < end && $0.end > start } }
    }
}
