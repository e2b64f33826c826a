import Foundation
import PinionBoardLink
import Synchronization

/// The board side of Pinion's board protocol (docs/board-protocol.md), for a real board: it
/// decodes the frames the host sends, answers HELLO, LOAD_MODEL/MODEL_CHUNK, UNLOAD_MODEL,
/// TELEMETRY, RESET and DETACH_TO_DFU at once, and queues INFER requests (up to
/// `maxInFlight`, more are answered BUSY) for its worker threads, which run them on an
/// `InferenceBackend` and answer each RESULT as it completes — out of order when they finish out
/// of order, as the protocol allows.
///
/// It knows nothing of USB: a transport feeds `receive(_:)` with what the host wrote and sends
/// what `send` is given (`BoardGadget` on FunctionFS; tests in-process).
public final class BoardFirmware: Sendable {
    /// What HELLO reports about the board.
    public struct Identity: Sendable, Hashable {
        public var firmwareVersion: String
        public var serial: String
        public var memoryBytes: UInt64
        public var macsPerSecond: UInt64
        public var maxInFlight: Int

        public init(firmwareVersion: String, serial: String, memoryBytes: UInt64 = 64 << 20, macsPerSecond: UInt64 = 0, maxInFlight: Int = 16) {
            self.firmwareVersion = firmwareVersion
            self.serial = serial
            self.memoryBytes = memoryBytes
            self.macsPerSecond = macsPerSecond
            self.maxInFlight = maxInFlight
        }
    }

    private struct Job {
        var requestID: UInt32
        var modelID: String
        var input: [UInt8]
    }

    private struct State {
        var decoder = BoardFrameDecoder()
        var models: [String: (size: Int, inputCount: Int?)] = [:]
        var uploads = BoardModelUploads()
        var queue: [Job] = []
        var inFlight = 0
        var stopped = false
        var inferences = 0
        var firmwareVersion: String
    }

    public let identity: Identity
    private let backend: any InferenceBackend
    private let send: @Sendable ([UInt8]) -> Void
    private let telemetry: @Sendable () -> (celsius: Double, watts: Double)
    private let onReset: @Sendable (_ toBootloader: Bool) -> Void
    private let state: Mutex<State>
    private let wake = NSCondition()

    /// - Parameters:
    ///   - workers: threads running inferences at once (default: the CPUs online).
    ///   - send: writes reply bytes to the host (called from several threads; must serialise).
    ///   - telemetry: the die temperature and the board's power now.
    ///   - onReset: called after RESET (false) or DETACH_TO_DFU (true) was answered.
    public init(identity: Identity, backend: any InferenceBackend, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                send: @escaping @Sendable ([UInt8]) -> Void,
                telemetry: @escaping @Sendable () -> (celsius: Double, watts: Double),
                onReset: @escaping @Sendable (Bool) -> Void) {
        self.identity = identity
        self.backend = backend
        self.send = send
        self.telemetry = telemetry
        self.onReset = onReset
        state = Mutex(State(firmwareVersion: identity.firmwareVersion))
        for index in 0..<max(1, workers) {
            let worker = Thread { [self] in workLoop() }
            worker.name = "board firmware worker \(index)"
            worker.start()
        }
    }

    /// The version HELLO reports: `identity.firmwareVersion` until a new image is installed.
    public var firmwareVersion: String {
        get { state.withLock { $0.firmwareVersion } }
        set { state.withLock { $0.firmwareVersion = newValue } }
    }

    /// INFER requests queued or computing now.
    public var queuedOrRunning: Int { state.withLock { $0.queue.count + $0.inFlight } }

    /// Inferences answered since start.
    public var inferences: Int { state.withLock { $0.inferences } }

    /// Forgets every model, upload, queued request and half-received frame, as a board does on a
    /// reset or when the host goes away (a new host link starts clean).
    public func restart() {
        let models = state.withLock { state -> [String] in
            state.decoder = BoardFrameDecoder()
            state.uploads.removeAll()
            state.queue = []
            defer { state.models = [:] }
            return Array(state.models.keys)
        }
        for id in models { try? backend.unload(id: id) }
    }

    /// Stops the worker threads once the requests they hold are done.
    public func stop() {
        state.withLock { $0.stopped = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    /// Bytes the host wrote to the board's bulk OUT endpoint.
    public func receive(_ bytes: [UInt8]) {
        var frames: [BoardFrame] = []
        var failures: [BoardFrame] = []
        state.withLock { state in
            state.decoder.push(bytes)
            while let next = state.decoder.next() {
                switch next {
                case .success(let frame): frames.append(frame)
                case .failure(let error):
                    failures.append(BoardMessage.error(.malformedFrame, message: error.description).frame(requestID: error.requestID ?? 0))
                }
            }
        }
        var replies = failures
        var queued = false
        var reset: Bool?
        for frame in frames {
            let message: BoardMessage
            do {
                message = try BoardMessage(frame: frame)
            } catch {
                replies.append(BoardMessage.error(.badRequest, message: "\(error)").frame(requestID: frame.requestID))
                continue
            }
            if let reply = handle(message, requestID: frame.requestID, queued: &queued, reset: &reset) {
                replies.append(reply.frame(requestID: frame.requestID))
            }
        }
        if !replies.isEmpty { send(replies.flatMap { $0.encoded() }) }
        if queued { wake.lock(); wake.broadcast(); wake.unlock() }
        if let reset { onReset(reset) }
    }

    private func handle(_ message: BoardMessage, requestID: UInt32, queued: inout Bool, reset: inout Bool?) -> BoardMessage? {
        switch message {
        case .hello:
            let (loaded, version) = state.withLock { ($0.models.keys.sorted(), $0.firmwareVersion) }
            return .info(BoardInfo(firmwareVersion: version, serial: identity.serial, modelFormats: backend.modelFormats,
                                   memoryBytes: identity.memoryBytes, macsPerSecond: identity.macsPerSecond,
                                   maxInFlight: UInt16(clamping: identity.maxInFlight), loadedModels: loaded))
        case .loadModel(let id, let size, let sha256):
            return state.withLock { state in
                let used = state.models.filter { $0.key != id }.values.reduce(0) { $0 + $1.size }
                return state.uploads.begin(id: id, size: size, sha256: sha256, memoryBytes: identity.memoryBytes, usedBytes: used)
            }
        case .modelChunk(let id, let offset, let bytes):
            switch state.withLock({ $0.uploads.chunk(id: id, offset: offset, bytes: bytes) }) {
            case .needMore:
                return .ack
            case .refused(let reply):
                return reply
            case .complete(let model):
                do throws(BackendError) {
                    let inputCount = try backend.load(id: id, bytes: model)
                    state.withLock { $0.models[id] = (model.count, inputCount) }
                    return .ack
                } catch {
                    return .error(error.boardCode, message: error.message)
                }
            }
        case .unloadModel(let id):
            guard state.withLock({ $0.models.removeValue(forKey: id) }) != nil else { return .error(.unknownModel, message: "no model '\(id)' loaded") }
            try? backend.unload(id: id)
            return .ack
        case .infer(let id, let input):
            return state.withLock { state -> BoardMessage? in
                guard let model = state.models[id] else { return .error(.unknownModel, message: "no model '\(id)' loaded") }
                if let count = model.inputCount, input.count != count {
                    return .error(.badInput, message: "model '\(id)' takes \(count) int8 inputs, got \(input.count)")
                }
                guard state.queue.count + state.inFlight < identity.maxInFlight else {
                    return .error(.busy, message: "\(identity.maxInFlight) inferences in flight")
                }
                state.queue.append(Job(requestID: requestID, modelID: id, input: input))
                queued = true
                return nil
            }
        case .telemetryRequest:
            let now = telemetry()
            return .telemetry(celsius: now.celsius, watts: now.watts)
        case .reset, .detachToDFU:
            reset = message == .detachToDFU
            return .ack
        case .ack, .info, .result, .telemetry, .error:
            return .error(.badRequest, message: "\(message.type) is a board's reply, not a request")
        }
    }

    private func workLoop() {
        while true {
            wake.lock()
            var job: Job?
            while job == nil {
                let (next, stopped) = state.withLock { state -> (Job?, Bool) in
                    guard !state.queue.isEmpty else { return (nil, state.stopped) }
                    state.inFlight += 1
                    return (state.queue.removeFirst(), false)
                }
                if stopped { wake.unlock(); return }
                job = next
                if job == nil { wake.wait() }
            }
            wake.unlock()
            guard let job else { continue }
            let started = ContinuousClock.now
            let reply: BoardMessage
            do throws(BackendError) {
                let output = try backend.infer(id: job.modelID, input: job.input)
                reply = .result(output: output, computeMicroseconds: microseconds(since: started))
            } catch {
                reply = .error(error.boardCode, message: error.message)
            }
            state.withLock { state in
                state.inFlight -= 1
                state.inferences += 1
            }
            send(reply.frame(requestID: job.requestID).encoded())
        }
    }
}
