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
            _ = try Self.expect(.ack, from: try Self.send(.loadModel(modelID: id, size: UInt32(bytes.count), sha256: Array(SHA256.hash(data: bytes))),
                                                          chunks: Self.chunks(id: id, bytes: bytes), state: &state, command: command))
            state.models[id] = bytes
        }
        return nil
    }

    public func unload(id: String) throws(BackendError) {
        try state.withLock { state throws(BackendError) in
            guard state.models.removeValue(forKey: id) != nil else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
            _ = try Self.expect(.ack, from: try Self.send(.unloadModel(modelID: id), state: &state, command: command))
        }
    }

    public func infer(id: String, input: [UInt8]) throws(BackendError) -> [UInt8] {
        try state.withLock { state throws(BackendError) in
            guard state.models[id] != nil else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
            let reply = try Self.expect(.result, from: try Self.send(.infer(modelID: id, input: input), state: &state, command: command))
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
        guard let worker else { return }
        shutdown(worker.pipe.output, Int32(SHUT_RDWR))
        worker.process.terminate()
        worker.process.waitUntilExit()
        close(worker.pipe.output)
    }

    private static func chunks(id: String, bytes: [UInt8]) -> [BoardMessage] {
        stride(from: 0, to: max(bytes.count, 1), by: chunkSize).map { offset in
            .modelChunk(modelID: id, offset: UInt32(offset), bytes: Array(bytes[offset..<min(offset + chunkSize, bytes.count)]))
        }
    }

    /// Sends a request (and, for LOAD_MODEL, its chunks, each acknowledged) and returns the last
    /// reply, starting the worker (and reloading its models) when none runs.
    private static func send(_ message: BoardMessage, chunks: [BoardMessage] = [], state: inout State,
                             command: [String]) throws(BackendError) -> BoardMessage {
        if state.worker == nil {
            state.worker = try start(command: command, state: &state)
        }
        do throws(BackendError) {
            var reply = try exchange(message, state: &state)
            for chunk in chunks {
                guard reply == .ack else { return reply }
                reply = try exchange(chunk, state: &state)
            }
            return reply
        } catch {
            if let worker = state.worker {
                shutdown(worker.pipe.output, Int32(SHUT_RDWR))
                worker.process.terminate()
                worker.process.waitUntilExit()
                close(worker.pipe.output)
                state.worker = nil
                throw BackendError(.failed, "\(error.message) (worker \(command[0]) exited with status \(worker.process.terminationStatus); it is restarted at the next request)")
            }
            throw error
        }
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

    private static func start(command: [String], state: inout State) throws(BackendError) -> Worker {
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
        let inFD = pair[0]
        let outFD = pair[0]
        var worker = Worker(process: process, pipe: FramePipe(input: inFD, output: outFD))
        state.worker = worker
        for (id, bytes) in state.models.sorted(by: { $0.key < $1.key }) {
            var reply = try exchange(.loadModel(modelID: id, size: UInt32(bytes.count), sha256: Array(SHA256.hash(data: bytes))), state: &state)
            for chunk in chunks(id: id, bytes: bytes) where reply == .ack { reply = try exchange(chunk, state: &state) }
            _ = try expect(.ack, from: reply)
        }
        worker = state.worker!
        return worker
    }
}
