/// Counts since the scheduler started.
public struct SchedulerStatistics: Sendable, Hashable, Codable {
    public var submitted = 0
    public var completed = 0
    public var failed = 0
    /// Tasks given back to the queue (board gone, busy, timed out) and run again.
    public var rerun = 0
    /// Results refused because the task already had one.
    public var duplicateResults = 0
    public var modelLoads = 0
    /// Journal writes that failed and were retried.
    public var journalRetries = 0
}

/// What `pinion status` shows.
public struct SchedulerStatus: Sendable, Hashable, Codable {
    public struct Board: Sendable, Hashable, Codable {
        public var serial: String
        public var inFlight: Int
        public var maxInFlight: Int
        public var loadedModels: [String]
        public var completed: Int
        /// Compute time the board reported, summed.
        public var busySeconds: Double
        public var hot: Bool
    }

    public var policy: String
    public var queued: Int
    /// How many priorities the queued tasks have (one queue each).
    public var queuedPriorities: Int
    /// The boards together draw more than the gateway's power budget: placement is paused.
    public var overPowerBudget: Bool
    public var boards: [Board]
    public var statistics: SchedulerStatistics
}

/// A submission the scheduler refuses; one line, naming the task.
public enum SchedulerError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownModel(task: String, model: String, known: [String])
    case badInput(task: String, String)
    /// The task's `priority` is outside `TaskPriority.range`.
    case priorityOutOfRange(task: String, priority: Int)

    public var description: String {
        switch self {
        case .unknownModel(let task, let model, let known):
            "task \(task): unknown model '\(model)' (models: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .badInput(let task, let why): "task \(task): \(why)"
        case .priorityOutOfRange(let task, let priority):
            "task \(task): priority: \(priority) is outside \(TaskPriority.range.lowerBound)...\(TaskPriority.range.upperBound)"
        }
    }
}
