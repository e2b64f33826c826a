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

        enum CodingKeys: String, CodingKey { case id, model, input, priority, deadline }

        /// Integers are read through `WholeNumber`, so that a fraction or a number too large is
        /// refused naming its field (Foundation says only "not valid JSON").
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(String.self, forKey: .id)
            model = try container.decode(String.self, forKey: .model)
            input = try container.decode([WholeNumber].self, forKey: .input).map(\.value)
            priority = try container.decodeIfPresent(WholeNumber.self, forKey: .priority)?.value
            deadline = try container.decodeIfPresent(Double.self, forKey: .deadline)
        }
    }

    public var tasks: [Task]

    public init(tasks: [Task]) { self.tasks = tasks }
}

extension SubmitRequest.Task {
    /// The scheduler's task (an id is made when absent), checked the same way on every path a
    /// task comes in by (the API, MQTT intake): the id follows `TaskID`'s rule, inputs are int8,
    /// a deadline is still ahead of `now`. A refusal names the field at fault.
    public func inferenceTask(now: Double = Date().timeIntervalSince1970) throws(TaskRejection) -> InferenceTask {
        if let id, let problem = TaskID.problem(with: id) { throw TaskRejection(field: "id", problem) }
        if let index = input.firstIndex(where: { !(-128...127).contains($0) }) {
            throw TaskRejection(field: "input[\(index)]", "\(input[index]) is not an int8 value (-128...127)")
        }
        if let deadline {
            guard deadline.isFinite, deadline > now else {
                throw TaskRejection(field: "deadline", "\(deadline) is not in the future (it is a Unix time in seconds; now is \(Int(now)))")
            }
        }
        return InferenceTask(id: id ?? UUID().uuidString, model: model, input: input.map { UInt8(bitPattern: Int8($0)) },
                             priority: priority ?? 0, deadline: deadline)
    }
}

/// An integer in a request: a JSON number that is not one (1.5, 1e30) is a decoding error at its
/// own coding path, saying what it is.
struct WholeNumber: Decodable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
            return
        }
        if let number = try? container.decode(Double.self) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "\(number) is not an integer from \(Int.min) to \(Int.max)"))
        }
        self.value = try container.decode(Int.self)
    }
}

/// A task refused before it reaches the scheduler: the field at fault (`id`, `input[3]`,
/// `deadline`, ...) and why.
public struct TaskRejection: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
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

/// An API error body: one line saying what is wrong and, when one request field is at fault,
/// which (`tasks[2].id`, `wait`).
public struct APIErrorBody: Codable, Sendable {
    public var error: String
    public var field: String?

    public init(error: String, field: String? = nil) {
        self.error = error
        self.field = field
    }
}
