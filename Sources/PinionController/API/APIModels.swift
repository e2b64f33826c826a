import Foundation
import PinionScheduler

/// `POST /v1/tasks`: tasks to run. Inputs are int8 values (−128…127).
public struct SubmitRequest: Codable, Sendable {
    public struct Task: Codable, Sendable {
        /// The client's id (idempotent: the same id again is the same task); one is made when absent.
        public var id: String?
        public var model: String
        public var input: [Int]
        public var priority: Int?
        /// Unix time after which the result is no longer wanted.
        public var deadline: Double?

        public init(id: String? = nil, model: String, input: [Int], priority: Int? = nil, deadline: Double? = nil) {
            self.id = id
            self.model = model
            self.input = input
            self.priority = priority
            self.deadline = deadline
        }
    }

    public var tasks: [Task]

    public init(tasks: [Task]) { self.tasks = tasks }
}

extension SubmitRequest.Task {
    /// The scheduler's task (an id is made when absent); nil when an input value is not int8.
    public func inferenceTask() -> InferenceTask? {
        guard input.allSatisfy({ (-128...127).contains($0) }) else { return nil }
        return InferenceTask(id: id ?? UUID().uuidString, model: model, input: input.map { UInt8(bitPattern: Int8($0)) },
                             priority: priority ?? 0, deadline: deadline)
    }
}

/// What happened to each submitted task.
public struct SubmitResponse: Codable, Sendable {
    public struct Outcome: Codable, Sendable {
        public var id: String
        /// `accepted` (journaled: it will run) or `duplicate` (the id was known; its state follows).
        public var status: String
        public var state: String
    }

    public var tasks: [Outcome]
}

/// One task as the API shows it.
public struct TaskView: Codable, Sendable, Hashable {
    public var id: String
    public var model: String
    public var state: String
    public var priority: Int
    public var submittedAt: Double
    public var output: [Int]?
    /// Index of the largest output: a classifier's answer.
    public var prediction: Int?
    public var board: String?
    public var computeMicroseconds: UInt32?
    public var finishedAt: Double?
    public var error: String?

    public init(_ record: TaskRecord) {
        id = record.task.id
        model = record.task.model
        state = record.state.rawValue
        priority = record.task.priority
        submittedAt = record.task.submittedAt
        if let result = record.result {
            let values = result.output.map { Int(Int8(bitPattern: $0)) }
            output = values
            prediction = values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }
            board = result.board
            computeMicroseconds = result.computeMicroseconds
            finishedAt = result.finishedAt
        }
        error = record.error
    }
}

/// `GET /v1/tasks`: the most recent tasks.
public struct TaskList: Codable, Sendable {
    public var tasks: [TaskView]
    public var counts: [String: Int]
}

/// An API error body: one line saying what is wrong.
public struct APIErrorBody: Codable, Sendable {
    public var error: String
}
