import Crypto

/// What one inference returned.
public struct BoardInferenceResult: Sendable, Hashable {
    public var output: [UInt8]
    /// Compute time the board reports.
    public var computeMicroseconds: UInt32

    public init(output: [UInt8], computeMicroseconds: UInt32) {
        self.output = output
        self.computeMicroseconds = computeMicroseconds
    }
}

extension BoardConnection {
    /// HELLO: the board's identity, capabilities and loaded models.
    public func hello() async throws -> BoardInfo {
        guard case .info(let info) = try await request(.hello(protocolVersion: BoardFrame.version)) else {
            throw BoardLinkError.protocolError("HELLO was not answered with INFO")
        }
        return info
    }

    /// LOAD_MODEL then the model in chunks, each acknowledged; the board checks the SHA-256.
    public func loadModel(id: String, bytes: [UInt8], chunkSize: Int = 64 * 1024) async throws {
        let digest = Array(SHA256.hash(data: bytes))
        try await expectAck(.loadModel(modelID: id, size: UInt32(bytes.count), sha256: digest), "LOAD_MODEL \(id)")
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, bytes.count)
            try await expectAck(.modelChunk(modelID: id, offset: UInt32(offset), bytes: Array(bytes[offset..<end])), "model chunk at \(offset)")
            offset = end
        } while offset < bytes.count
    }

    public func unloadModel(id: String) async throws {
        try await expectAck(.unloadModel(modelID: id), "UNLOAD \(id)")
    }

    /// INFER: runs `modelID` on `input` (int8 values as bytes).
    public func infer(modelID: String, input: [UInt8], timeout: Duration? = nil) async throws -> BoardInferenceResult {
        guard case .result(let output, let micros) = try await request(.infer(modelID: modelID, input: input), timeout: timeout) else {
            throw BoardLinkError.protocolError("INFER was not answered with RESULT")
        }
        return BoardInferenceResult(output: output, computeMicroseconds: micros)
    }

    /// The board's own temperature and power.
    public func telemetry() async throws -> (celsius: Double, watts: Double) {
        guard case .telemetry(let celsius, let watts) = try await request(.telemetryRequest) else {
            throw BoardLinkError.protocolError("TELEMETRY request was not answered with TELEMETRY")
        }
        return (celsius, watts)
    }

    /// RESET: the board acknowledges, then restarts (and re-enumerates). A board that leaves the
    /// bus before its ACK was read did what was asked: that is no error.
    public func reset() async throws { try await expectAckOrDeparture(.reset, "RESET") }

    /// DETACH_TO_DFU: the board acknowledges, then re-enumerates in its bootloader. A board that
    /// leaves the bus before its ACK was read did what was asked: that is no error.
    public func detachToDFU() async throws { try await expectAckOrDeparture(.detachToDFU, "DETACH_TO_DFU") }

    private func expectAckOrDeparture(_ message: BoardMessage, _ what: String) async throws {
        do {
            try await expectAck(message, what)
        } catch let error as BoardLinkError where error.isDisconnection {
            return
        }
    }

    private func expectAck(_ message: BoardMessage, _ what: String) async throws {
        guard case .ack = try await request(message) else { throw BoardLinkError.protocolError("\(what) was not acknowledged") }
    }
}
