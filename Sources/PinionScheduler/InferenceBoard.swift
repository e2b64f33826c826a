import PinionBoardLink

/// A board the scheduler can place work on: the board protocol (`LinkedBoard`), or anything
/// that runs models the same way (the exec runtime adapter, test doubles of a real protocol peer).
/// Its requests fail with `InferenceBoardError`; any other error puts the task back in the queue.
public protocol InferenceBoard: AnyObject, Sendable {
    var serial: String { get }
    /// What HELLO said: formats, memory, speed, how many requests it holds.
    var info: BoardInfo { get }
    func loadModel(id: String, bytes: [UInt8]) async throws
    func unloadModel(id: String) async throws
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult
}
