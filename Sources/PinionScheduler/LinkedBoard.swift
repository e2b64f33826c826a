import PinionBoardLink

/// A board reached through Pinion's board protocol; its `BoardLinkError`s reach the scheduler
/// as `InferenceBoardError`s.
public final class LinkedBoard: InferenceBoard {
    public let connection: BoardConnection
    public let info: BoardInfo
    public var serial: String { info.serial }

    /// Says HELLO on `connection` and keeps what the board answered.
    public init(connection: BoardConnection) async throws {
        self.connection = connection
        info = try await connection.hello()
    }

    public func loadModel(id: String, bytes: [UInt8]) async throws {
        try await translatingErrors { try await connection.loadModel(id: id, bytes: bytes) }
    }

    public func unloadModel(id: String) async throws {
        try await translatingErrors { try await connection.unloadModel(id: id) }
    }

    public func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        try await translatingErrors { try await connection.infer(modelID: modelID, input: input) }
    }

    private func translatingErrors<Value>(_ request: () async throws -> Value) async throws -> Value {
        do {
            return try await request()
        } catch let error as BoardLinkError {
            throw InferenceBoardError(error)
        }
    }
}

extension InferenceBoardError {
    /// What a board protocol failure means to the scheduler.
    public init(_ error: BoardLinkError) {
        switch error {
        case .disconnected(let why): self = .boardGone(why)
        case .board(.busy, let message): self = .busy(message)
        case .board(.unknownModel, let message): self = .modelMissing(message)
        case .board(.badInput, let message): self = .taskFailed(message)
        case .timeout: self = .timedOut(error.description)
        case .board, .protocolError, .usb: self = .boardFault(error.description)
        }
    }
}
