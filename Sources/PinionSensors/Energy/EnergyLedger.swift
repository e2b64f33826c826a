/// Energy attributed to what used it: per task, per model, per board and per day, with each
/// board's idle energy (no task running) kept apart.
///
/// A segment's energy is spread evenly over its interval (its samples are 10 ms apart at
/// 100 Hz). Where tasks ran on the board, the part of the interval they covered goes to them;
/// tasks running at the same time share that part equally; the rest is the board's idle energy.
/// Days are UTC days of `epochOffset + time` (the sampler clock's origin in Unix time).
///
/// Per-task energy is kept for recent tasks only: a task's entry goes once no segment has given
/// it energy for `taskRetentionSeconds` (30 s; its compute receipt read it a second after the
/// task ended). A gateway that runs tasks for months keeps a ledger of its last half minute.
public struct EnergyLedger: Sendable, Hashable {
    /// Energy of the tasks that ran in the last `taskRetentionSeconds` (of the sampler's clock).
    public private(set) var perTask: [String: Double] = [:]
    /// Sampler time of the end of the last segment that gave each task in `perTask` energy.
    private var taskLastSeen: [String: Double] = [:]
    private var lastPrune = -Double.infinity
    public let taskRetentionSeconds: Double
    public private(set) var perModel: [String: Double] = [:]
    public private(set) var perBoard: [String: Double] = [:]
    public private(set) var idlePerBoard: [String: Double] = [:]
    /// Keyed `2026-11-25`.
    public private(set) var perDay: [String: Double] = [:]
    public var epochOffset: Double

    public init(epochOffset: Double = 0, taskRetentionSeconds: Double = 30) {
        self.epochOffset = epochOffset
        self.taskRetentionSeconds = taskRetentionSeconds
    }

    /// Total energy recorded, joules.
    public var totalJoules: Double { perBoard.values.reduce(0, +) }

    /// Attributes one segment of `board`'s rail to the tasks that ran in it.
    public mutating func record(_ segment: EnergySegment, board: String, tasks: [TaskInterval]) {
        let length = segment.end - segment.start
        guard length > 0 else { return }
        let density = segment.joules / length
        perBoard[board, default: 0] += segment.joules
        let running = tasks.filter { $0.board == board && $0.start < segment.end && ($0.end ?? .infinity) > segment.start }
        let firstDay = ((segment.start + epochOffset) / 86_400).rounded(.down)
        var midnight = (firstDay + 1) * 86_400 - epochOffset
        if running.isEmpty && midnight >= segment.end {
            // The common case at 100 Hz — an idle board, no midnight — without the cutting below.
            let joules = density * length
            perDay[Self.day(of: segment.start + epochOffset), default: 0] += joules
            idlePerBoard[board, default: 0] += joules
            forgetOldTasks(now: segment.end)
            return
        }
        // Cut the segment where tasks start or end, and at midnight.
        var cuts = Set([segment.start, segment.end])
        for task in running {
            if task.start > segment.start { cuts.insert(task.start) }
            if let end = task.end, end < segment.end { cuts.insert(end) }
        }
        while midnight < segment.end {
            cuts.insert(midnight)
            midnight += 86_400
        }
        let points = cuts.sorted()
        for (from, to) in zip(points, points.dropFirst()) {
            let joules = density * (to - from)
            perDay[Self.day(of: from + epochOffset), default: 0] += joules
            let active = running.filter { $0.start <= from && ($0.end ?? .infinity) >= to }
            guard !active.isEmpty else {
                idlePerBoard[board, default: 0] += joules
                continue
            }
            let share = joules / Double(active.count)
            for task in active {
                perTask[task.taskID, default: 0] += share
                taskLastSeen[task.taskID] = segment.end
                perModel[task.model, default: 0] += share
            }
        }
        forgetOldTasks(now: segment.end)
    }

    /// Drops tasks not seen for `taskRetentionSeconds`; runs a quarter of that apart, so the
    /// scan costs nothing per segment.
    private mutating func forgetOldTasks(now: Double) {
        guard now - lastPrune >= taskRetentionSeconds / 4 else { return }
        lastPrune = now
        let horizon = now - taskRetentionSeconds
        for (task, seen) in taskLastSeen where seen < horizon {
            taskLastSeen[task] = nil
            perTask[task] = nil
        }
    }

    /// `2026-11-25` for a Unix time (UTC), by the civil-from-days algorithm.
    static func day(of unixTime: Double) -> String {
        let days = Int((unixTime / 86_400).rounded(.down))
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}
