/// Why a board did not run a request, in the terms the scheduler acts on. Every `InferenceBoard`
/// throws these; `LinkedBoard` translates the board protocol's `BoardLinkError` into them.
public enum InferenceBoardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The board has no free slot now; the task goes back to the queue.
    case busy(String)
    /// No answer in time; the task goes back to the queue.
    case timedOut(String)
    /// The board left (unplugged, connection closed); its tasks move to other boards.
    case boardGone(String)
    /// The board does not hold the model (anymore); it is loaded again before the task reruns.
    case modelMissing(String)
    /// The board ran the task and refused it (bad input); the task fails with this message.
    case taskFailed(String)
    /// Anything else the board could not do this time (a protocol or USB fault, a runner that
    /// would not start); the task goes back to the queue.
    case boardFault(String)

    public var description: String {
        switch self {
        case .busy(let why): "board busy: \(why)"
        case .timedOut(let why): "timed out: \(why)"
        case .boardGone(let why): "board gone: \(why)"
        case .modelMissing(let why): "model missing: \(why)"
        case .taskFailed(let why): "task failed: \(why)"
        case .boardFault(let why): "board fault: \(why)"
        }
    }
}
