import Foundation

/// One inference a client asked for.
public struct InferenceTask: Sendable, Hashable, Codable {
    /// The client's id for it: submitting the same id again is the same task (idempotent).
    public var id: String
    /// The model id (`digits`, …) it runs.
    public var model: String
    /// The input tensor: int8 values as bytes.
    public var input: [UInt8]
    /// Higher runs first.
    public var priority: Int
    /// Unix time after which the result is no longer wanted; nil for none.
    public var deadline: Double?
    /// Unix time the controller accepted it.
    public var submittedAt: Double

    public init(id: String, model: String, input: [UInt8], priority: Int = 0, deadline: Double? = nil,
                submittedAt: Double = Date().timeIntervalSince1970) {
        self.id = id
        self.model = model
        self.input = input
        self.priority = priority
        self.deadline = deadline
        self.submittedAt = submittedAt
    }
}

/// Where a task is.
public enum TaskState: String, Sendable, Hashable, Codable {
    case queued, running, done, failed
}

/// A task's one recorded result.
public struct TaskResult: Sendable, Hashable, Codable {
    public var output: [UInt8]
    /// The serial of the board that computed it.
    public var board: String
    public var computeMicroseconds: UInt32
    /// Unix time it was recorded.
    public var finishedAt: Double

    public init(output: [UInt8], board: String, computeMicroseconds: UInt32, finishedAt: Double) {
        self.output = output
        self.board = board
        self.computeMicroseconds = computeMicroseconds
        self.finishedAt = finishedAt
    }
}

/// A task as the journal holds it.
public struct TaskRecord: Sendable, Hashable, Codable {
    public var task: InferenceTask
    public var state: TaskState
    public var result: TaskResult?
    /// Why it failed, for `failed`.
    public var error: String?
}
