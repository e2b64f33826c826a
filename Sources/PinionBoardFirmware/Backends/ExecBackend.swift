import Crypto
import Foundation
import PinionBoardLink
import Synchronization

/// Runs models in a worker process that a vendor runtime provides, kept alive between requests
/// and spoken to over its stdin and stdout (one Unix stream socket) in board-protocol frames (docs/board-firmware.md,
/// "Plugging in a vendor runtime"): LOAD_MODEL then MODEL_CHUNKs, INFER, UNLOAD_MODEL, each
/// answered by ACK, RESULT or ERROR, one request at a time and in order.
///
/// A worker that exits is started again at the next request, and the models it held are loaded
/// into it again first, so a crash costs the requests in flight, not the board's state.
public final class ExecBackend: InferenceBackend {
    private struct Worker {
        var process: Process
        var pipe: FramePipe
    }

    private struct State {
        var worker: Worker?
        var models: [String: [UInt8]] = [:]
        var nextID: UInt32 = 1
        var starts = 0
    }

    public let command: [String]
    public let modelFormats: [String]
    private let state = Mutex(State())
    /// Largest MODEL_CHUNK sent to the worker.
    static let chunkSize = 1 << 20

    /// - Parameter command: the worker's argv; `command[0]` is looked up on PATH.
    public init(command: [String], modelFormats: [String]) {
        self.command = command
        self.modelFormats = modelFormats
    }

    /// How many times a worker process was started (1 while the first one lives).
    public var workerStarts: Int { state.withLock { $0.starts } }

    /// The worker's process id, if one runs.
    public var workerPID: Int32? { state.withLock { $0.worker?.process.processIdentifier } }

    public func load(id: String, bytes: [UInt8]) throws(BackendError) -> Int? {
        try state.withLock { state throws(BackendError) in
            _ = try Self.expect(.ack, from: try Self.withWorker(&state, command: command) { state throws(BackendError) in
                try Self.upload(id: id, bytes: bytes, state: &state)
            })
            state.models[id] = bytes
        }
        return nil
    }

    public func unload(id: String) throws(BackendError) {
        try state.withLock { state throws(BackendError) in
            guard state.models.removeValue(forKey: id) != nil else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
            _ = try Self.expect(.ack, from: try Self.withWorker(&state, command: command) { state throws(BackendError) in
                try Self.exchange(.unloadModel(modelID: id), state: &state)
            })
        }
    }

    public func infer(id: String, input: [UInt8]) throws(BackendError) -> [UInt8] {
        try state.withLock { state throws(BackendError) in
            guard state.models[id] != nil else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
            let reply = try Self.expect(.result, from: try Self.withWorker(&state, command: command) { state throws(BackendError) in
                try Self.exchange(.infer(modelID: id, input: input), state: &state)
            })
            guard case .result(let output, _) = reply else { throw BackendError(.failed, "worker answered \(reply.type) to INFER") }
            return output
        }
    }

    /// Ends the worker (SIGTERM, then waits for it).
    public func stop() {
        let worker = state.withLock { state -> Worker? in
            defer { state.worker = nil }
            return state.worker
        }
        if let worker { Self.end(worker) }
    }

    private static func end(_ worker: Worker) {
        shutdown(worker.pipe.output, Int32(SHUT_RDWR))
        worker.process.terminate()
        worker.process.waitUntilExit()
        close(worker.pipe.output)
    }

    /// Runs `body` with a worker, starting one (and loading the models it should hold into it)
    /// when none runs. A worker that fails on the way is ended, to be started again at the next
    /// request.
    private static func withWorker(_ state: inout State, command: [String],
                                   _ body: (inout State) throws(BackendError) -> BoardMessage) throws(BackendError) -> BoardMessage {
        do throws(BackendError) {
            if state.worker == nil { try start(command: command, state: &state) }
            return try body(&state)
        } catch {
            guard let worker = state.worker else { throw error }
            end(worker)
            state.worker = nil
            throw BackendError(.failed, "\(error.message) (worker \(command[0]) exited with status \(worker.process.terminationStatus); it is restarted at the next request)")
        }
    }

    /// LOAD_MODEL, then the MODEL_CHUNKs while each is acknowledged; the last reply.
    private static func upload(id: String, bytes: [UInt8], state: inout State) throws(BackendError) -> BoardMessage {
        var reply = try exchange(.loadModel(modelID: id, size: UInt32(bytes.count), sha256: Array(SHA256.hash(data: bytes))), state: &state)
        for offset in stride(from: 0, to: max(bytes.count, 1), by: chunkSize) where reply == .ack {
            reply = try exchange(.modelChunk(modelID: id, offset: UInt32(offset), bytes: Array(bytes[offset..<min(offset + chunkSize, bytes.count)])),
                                 state: &state)
        }
        return reply
    }

    private static func exchange(_ message: BoardMessage, state: inout State) throws(BackendError) -> BoardMessage {
        guard var worker = state.worker else { throw BackendError(.failed, "no worker") }
        let id = state.nextID
        state.nextID &+= 1
        guard worker.pipe.send(message, requestID: id) else { throw BackendError(.failed, "the worker's stdin is closed") }
        let received = worker.pipe.receive()
        state.worker = worker
        switch received {
        case nil:
            throw BackendError(.failed, "the worker closed its stdout")
        case .failure(let error)?:
            throw BackendError(.failed, "the worker sent a bad frame: \(error)")
        case .success(let frame)?:
            guard frame.requestID == id else { throw BackendError(.failed, "the worker answered request \(frame.requestID), expected \(id)") }
            do {
                return try BoardMessage(frame: frame)
            } catch {
                throw BackendError(.failed, "the worker sent an unreadable \(frame.type) frame: \(error)")
            }
        }
    }

    private static func expect(_ type: BoardMessageType, from reply: BoardMessage) throws(BackendError) -> BoardMessage {
        if case .error(let code, let message) = reply {
            let mapped: BackendError.Code = switch code {
            case .unknownModel: .unknownModel
            case .badInput: .badInput
            case .badRequest, .checksumMismatch, .unsupported: .badModel
            default: .failed
            }
            throw BackendError(mapped, message)
        }
        guard reply.type == type else { throw BackendError(.failed, "the worker answered \(reply.type), expected \(type)") }
        return reply
    }

    /// Starts the worker and loads every model it should hold.
    private static func start(command: [String], state: inout State) throws(BackendError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        // A socket pair rather than pipes: writing to a worker that died is an error
        // (MSG_NOSIGNAL), not a SIGPIPE that would end the whole firmware.
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw BackendError(.failed, "cannot make a socket pair for worker \(command[0]): \(String(cString: strerror(errno)))")
        }
        let workerEnd = FileHandle(fileDescriptor: pair[1], closeOnDealloc: false)
        process.standardInput = workerEnd
        process.standardOutput = workerEnd
        do {
            try process.run()
        } catch {
            close(pair[0])
            close(pair[1])
            throw BackendError(.failed, "cannot start worker \(command.joined(separator: " ")): \(error.localizedDescription)")
        }
        state.starts += 1
        // Our copy of the worker's end is closed so its exit shows as end of file.
        close(pair[1])
        state.worker = Worker(process: process, pipe: FramePipe(input: pair[0], output: pair[0]))
        for (id, bytes) in state.models.sorted(by: { $0.key < $1.key }) {
            _ = try expect(.ack, from: try upload(id: id, bytes: bytes, state: &state))
        }
    }
}
