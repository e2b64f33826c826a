/// A task's execution on a board, as the scheduler records it.
public struct TaskInterval: Sendable, Hashable, Codable {
    public var taskID: String
    public var model: String
    /// The board's serial.
    public var board: String
    /// Seconds on the sampler's clock.
    public var start: Double
    /// Nil while the task runs.
    public var end: Double?

    public init(taskID: String, model: String, board: String, start: Double, end: Double?) {
        self.taskID = taskID
        self.model = model
        self.board = board
        self.start = start
        self.end = end
    }
}
