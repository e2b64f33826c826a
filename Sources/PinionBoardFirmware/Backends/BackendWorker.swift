import Crypto
import Foundation
import PinionBoardLink

/// The worker side of `ExecBackend`'s pipe protocol, serving any `InferenceBackend`: what
/// `pinion-board worker` runs, and the reference a vendor's worker is tested against. Reads
/// frames on `input` until end of file and answers each on `output`.
public enum BackendWorker {
    public static func serve(_ backend: any InferenceBackend, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        var pipe = FramePipe(input: input, output: output)
        var upload: (id: String, size: Int, sha256: [UInt8], bytes: [UInt8])?
        while let next = pipe.receive() {
            let frame: BoardFrame
            switch next {
            case .failure(let error):
                guard pipe.send(.error(.malformedFrame, message: error.description), requestID: error.requestID ?? 0) else { return }
                continue
            case .success(let received):
                frame = received
            }
            let reply: BoardMessage
            do {
                switch try BoardMessage(frame: frame) {
                case .loadModel(let id, let size, let sha256):
                    upload = (id, Int(size), sha256, [])
                    reply = .ack
                case .modelChunk(let id, let offset, let bytes):
                    guard var current = upload, current.id == id, Int(offset) == current.bytes.count else {
                        upload = nil
                        reply = .error(.badRequest, message: "chunk of '\(id)' at \(offset) continues no LOAD_MODEL")
                        break
                    }
                    current.bytes += bytes
                    upload = current
                    guard current.bytes.count >= current.size else { reply = .ack; break }
                    upload = nil
                    guard Array(SHA256.hash(data: current.bytes)) == current.sha256 else {
                        reply = .error(.checksumMismatch, message: "model '\(id)': SHA-256 differs from LOAD_MODEL's")
                        break
                    }
                    _ = try backend.load(id: id, bytes: current.bytes)
                    reply = .ack
                case .unloadModel(let id):
                    try backend.unload(id: id)
                    reply = .ack
                case .infer(let id, let input):
                    let started = ContinuousClock.now
                    let output = try backend.infer(id: id, input: input)
                    let micros = (ContinuousClock.now - started).components
                    reply = .result(output: output, computeMicroseconds: UInt32(clamping: micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000))
                case let other:
                    reply = .error(.unsupported, message: "\(other.type) is not a worker request")
                }
            } catch let error as BackendError {
                reply = .error(error.boardCode, message: error.message)
            } catch {
                reply = .error(.badRequest, message: "\(error)")
            }
            guard pipe.send(reply, requestID: frame.requestID) else { return }
        }
    }
}

extension BackendError {
    /// The board-protocol ERROR code this failure is reported as.
    var boardCode: BoardErrorCode {
        switch code {
        case .badModel: .badRequest
        case .unknownModel: .unknownModel
        case .badInput: .badInput
        case .failed: .internalError
        }
    }
}
