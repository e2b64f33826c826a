import Crypto

/// The board side of loading a model: LOAD_MODEL announces an id, a size and a SHA-256 and is
/// refused when the board's memory cannot hold it; MODEL_CHUNKs must continue the upload at the
/// offset received so far; the last one is checked against the digest. Every board
/// implementation (the emulated NPUs, `pinion-board`) answers with these rules and messages.
public struct BoardModelUploads: Sendable {
    private struct Upload: Sendable {
        var expectedSize: Int
        var sha256: [UInt8]
        var bytes: [UInt8]
    }

    /// What a MODEL_CHUNK came to.
    public enum ChunkOutcome: Sendable, Equatable {
        /// More chunks are expected: answer ACK.
        case needMore
        /// The model is whole and matches its digest: load it, then answer.
        case complete([UInt8])
        /// Answer this ERROR (the upload is abandoned).
        case refused(BoardMessage)
    }

    private var uploads: [String: Upload] = [:]

    public init() {}

    /// LOAD_MODEL: ACK, or ERROR `out_of_memory` when `size` does not fit beside the `usedBytes`
    /// of the other loaded models in `memoryBytes`.
    public mutating func begin(id: String, size: UInt32, sha256: [UInt8], memoryBytes: UInt64, usedBytes: Int) -> BoardMessage {
        guard UInt64(usedBytes) + UInt64(size) <= memoryBytes else {
            return .error(.outOfMemory, message: "model '\(id)' needs \(size) bytes, \(memoryBytes - min(memoryBytes, UInt64(usedBytes))) free")
        }
        uploads[id] = Upload(expectedSize: Int(size), sha256: sha256, bytes: [])
        return .ack
    }

    /// MODEL_CHUNK.
    public mutating func chunk(id: String, offset: UInt32, bytes: [UInt8]) -> ChunkOutcome {
        guard var upload = uploads[id] else { return .refused(.error(.badRequest, message: "no LOAD_MODEL for '\(id)' in progress")) }
        guard Int(offset) == upload.bytes.count, upload.bytes.count + bytes.count <= upload.expectedSize else {
            uploads[id] = nil
            return .refused(.error(.badRequest, message: "chunk at \(offset) (+\(bytes.count)) does not continue '\(id)' at \(upload.bytes.count) of \(upload.expectedSize)"))
        }
        upload.bytes += bytes
        guard upload.bytes.count == upload.expectedSize else {
            uploads[id] = upload
            return .needMore
        }
        uploads[id] = nil
        guard Array(SHA256.hash(data: upload.bytes)) == upload.sha256 else {
            return .refused(.error(.checksumMismatch, message: "model '\(id)': SHA-256 of the \(upload.bytes.count) bytes received differs from LOAD_MODEL's"))
        }
        return .complete(upload.bytes)
    }

    /// Forgets every upload in progress (a reset).
    public mutating func removeAll() { uploads = [:] }
}
