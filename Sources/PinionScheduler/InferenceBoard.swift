import PinionBoardLink

/// A board the scheduler can place work on: the board protocol (`LinkedBoard`), or anything
/// that runs models the same way (the exec runtime adapter, test doubles of a real protocol peer).
public protocol InferenceBoard: AnyObject, Sendable {
    var serial: String { get }
    /// What HELLO said: formats, memory, speed, how many requests it holds.
    var info: BoardInfo { get }
    func loadModel(id: String, bytes: [UInt8]) async throws
    func unloadModel(id: String) async throws
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult
}

/// A board reached through Pinion's board protocol.
public final class LinkedBoard: InferenceBoard {
    public let connection: BoardConnection
    public let info: BoardInfo
    public var serial: String { info.serial }

    /// Says HELLO on `connection` and keeps what the board answered.
    public init(connection: BoardConnection) async throws {
        self.connection = connection
        info = try await connection.hello()
    }

    public func loadModel(id: String, bytes: [UInt8]) async throws { try await connection.loadModel(id: id, bytes: bytes) }
    public func unloadModel(id: String) async throws { try await connection.unloadModel(id: id) }
    public func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        try await connection.infer(modelID: modelID, input: input)
    }
}
