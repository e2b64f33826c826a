import Foundation
import PinionBoardLink
import PinionSystem

/// The worker side of `ExecBackend`'s pipe protocol, serving any `InferenceBackend`: what
/// `pinion-board worker` runs, and the reference a vendor's worker is tested against. Reads
/// frames on `input` until end of file and answers each on `output`.
public enum BackendWorker {
    public static func serve(_ backend: any InferenceBackend, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        var pipe = FramePipe(input: input, output: output)
        var uploads = BoardModelUploads()
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
                    // The firmware already checked the board's memory: the worker takes any size.
                    reply = uploads.begin(id: id, size: size, sha256: sha256, memoryBytes: .max, usedBytes: 0)
                case .modelChunk(let id, let offset, let bytes):
                    switch uploads.chunk(id: id, offset: offset, bytes: bytes) {
                    case .needMore: reply = .ack
                    case .refused(let refusal): reply = refusal
                    case .complete(let model):
                        _ = try backend.load(id: id, bytes: model)
                        reply = .ack
                    }
                case .unloadModel(let id):
                    try backend.unload(id: id)
                    reply = .ack
                case .infer(let id, let input):
                    let started = ContinuousClock.now
                    let output = try backend.infer(id: id, input: input)
                    reply = .result(output: output, computeMicroseconds: microseconds(since: started))
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

/// Whole microseconds from `start` until now, as RESULT reports a computation's time.
func microseconds(since start: ContinuousClock.Instant) -> UInt32 {
    UInt32(clamping: Int((ContinuousClock.now - start).inSeconds * 1e6))
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
