import Foundation
import PinionBoardLink
import PinionModels
import PinionSystem
import Synchronization

/// The firmware of an emulated NPU board: it speaks Pinion's board protocol (docs/board-protocol.md)
/// on the vendor interface's bulk endpoints and runs real `pinion-int8` models with the reference
/// interpreter, taking the time its performance model says (`EmulatedNPUSpec`) and drawing the
/// power its power model says while it computes.
///
/// Loaded models live in the board's RAM: they are gone after a reset or re-enumeration, as on a
/// real board. INFER requests are computed one at a time, in order, on the board's own thread.
public final class EmulatedNPU: Sendable {
    private struct Job {
        var requestID: UInt32
        var model: Int8Model
        var input: [UInt8]
    }

    private struct State {
        var decoder = BoardFrameDecoder()
        var models: [String: (model: Int8Model, size: Int)] = [:]
        var uploads = BoardModelUploads()
        var jobs: [Job] = []
        var stopped = false
        var extraCelsius = 0.0
        var wrongOutputs = false
        var inferences = 0
        var busySeconds = 0.0
    }

    public let spec: EmulatedNPUSpec
    private let info: BoardInfo
    private let state = Mutex(State())
    /// Wakes the compute thread when a job is queued or the board stops.
    private let condition = NSCondition()
    /// Replies waiting for the host's bulk IN.
    private let outgoing = EmulatedByteQueue()
    private let powerModel: EmulatedPowerModel?
    private let clock: @Sendable () -> Double
    private let onReset: @Sendable (_ toBootloader: Bool) -> Void

    /// - Parameters:
    ///   - powerModel, clock: the board's power model and the clock it runs on; utilisation goes to
    ///     1 while an inference computes.
    ///   - onReset: RESET (false) or DETACH_TO_DFU (true) was acknowledged: re-enumerate.
    public init(spec: EmulatedNPUSpec, firmwareVersion: String, serial: String, powerModel: EmulatedPowerModel? = nil,
                clock: @escaping @Sendable () -> Double = { 0 }, onReset: @escaping @Sendable (Bool) -> Void = { _ in }) {
        self.spec = spec
        self.powerModel = powerModel
        self.clock = clock
        self.onReset = onReset
        info = BoardInfo(firmwareVersion: firmwareVersion, serial: serial, modelFormats: spec.modelFormats, memoryBytes: spec.memoryBytes,
                         macsPerSecond: UInt64(spec.macsPerSecond), maxInFlight: UInt16(clamping: spec.maxInFlight))
        let worker = Thread { [self] in computeLoop() }
        worker.name = "emulated NPU \(serial)"
        worker.start()
    }

    /// Inferences completed since power-on.
    public var inferences: Int { state.withLock { $0.inferences } }

    /// Degrees added to the die temperature the board reports (a blocked fan, a hot enclosure).
    public var extraCelsius: Double {
        get { state.withLock { $0.extraCelsius } }
        set { state.withLock { $0.extraCelsius = newValue } }
    }

    /// A fault for self-tests to find: every RESULT's first output byte is off by one, as a board
    /// with bad memory or a broken compute unit would answer.
    public var wrongOutputs: Bool {
        get { state.withLock { $0.wrongOutputs } }
        set { state.withLock { $0.wrongOutputs = newValue } }
    }

    /// Wall time spent computing since power-on, seconds (what utilisation is measured by).
    public var busySeconds: Double { state.withLock { $0.busySeconds } }

    /// Bytes the host wrote to the bulk OUT endpoint.
    public func receive(_ bytes: [UInt8]) {
        var replies: [BoardFrame] = []
        var queued = false
        state.withLock { state in
            state.decoder.push(bytes)
            while let next = state.decoder.next() {
                switch next {
                case .failure(let error):
                    replies.append(BoardMessage.error(.malformedFrame, message: error.description).frame(requestID: error.requestID ?? 0))
                case .success(let frame):
                    let message: BoardMessage
                    do {
                        message = try BoardMessage(frame: frame)
                    } catch {
                        replies.append(BoardMessage.error(.badRequest, message: "\(error)").frame(requestID: frame.requestID))
                        continue
                    }
                    if let reply = handle(message, requestID: frame.requestID, state: &state, queued: &queued) {
                        replies.append(reply.frame(requestID: frame.requestID))
                    }
                }
            }
        }
        send(replies)
        if queued { condition.lock(); condition.broadcast(); condition.unlock() }
    }

    /// Up to `maxLength` bytes for the bulk IN endpoint, waiting up to `timeout`; nil on timeout
    /// or after `stop()`.
    public func transmit(maxLength: Int, timeout: Duration) -> [UInt8]? {
        outgoing.take(maxLength: maxLength, timeout: timeout) { !state.withLock { $0.stopped } }
    }

    /// Puts back bytes a cancelled IN transfer took, ahead of everything else.
    public func returnUnread(_ bytes: [UInt8]) {
        outgoing.prepend(bytes)
    }

    /// Power off: the compute thread ends, waiting readers return.
    public func stop() {
        state.withLock { $0.stopped = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
        outgoing.wake()
    }

    private func send(_ frames: [BoardFrame]) {
        guard !frames.isEmpty else { return }
        outgoing.append(frames.flatMap { $0.encoded() })
    }

    private func handle(_ message: BoardMessage, requestID: UInt32, state: inout State, queued: inout Bool) -> BoardMessage? {
        switch message {
        case .hello:
            var info = info
            info.loadedModels = state.models.keys.sorted()
            return .info(info)
        case .loadModel(let id, let size, let sha256):
            let used = state.models.filter { $0.key != id }.values.reduce(0) { $0 + $1.size }
            return state.uploads.begin(id: id, size: size, sha256: sha256, memoryBytes: spec.memoryBytes, usedBytes: used)
        case .modelChunk(let id, let offset, let bytes):
            switch state.uploads.chunk(id: id, offset: offset, bytes: bytes) {
            case .needMore:
                return .ack
            case .refused(let reply):
                return reply
            case .complete(let model):
                do {
                    state.models[id] = (try Int8Model(bytes: model), model.count)
                    return .ack
                } catch {
                    return .error(.badRequest, message: "model '\(id)': \(error)")
                }
            }
        case .unloadModel(let id):
            guard state.models.removeValue(forKey: id) != nil else { return .error(.unknownModel, message: "no model '\(id)' loaded") }
            return .ack
        case .infer(let id, let input):
            guard let model = state.models[id]?.model else { return .error(.unknownModel, message: "no model '\(id)' loaded") }
            guard input.count == model.inputCount else {
                return .error(.badInput, message: "model '\(id)' takes \(model.inputCount) int8 inputs, got \(input.count)")
            }
            guard state.jobs.count < spec.maxInFlight else { return .error(.busy, message: "\(spec.maxInFlight) inferences in flight") }
            state.jobs.append(Job(requestID: requestID, model: model, input: input))
            queued = true
            return nil
        case .telemetryRequest:
            let watts = powerModel?.power(at: clock()) ?? 0
            let busy = state.jobs.isEmpty ? 0.0 : 1.0
            return .telemetry(celsius: 38 + 12 * busy + state.extraCelsius, watts: watts)
        case .reset, .detachToDFU:
            let toBootloader = message == .detachToDFU
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.01) { [onReset] in onReset(toBootloader) }
            return .ack
        case .ack, .info, .result, .telemetry, .error:
            return .error(.badRequest, message: "\(message.type) is a board's reply, not a request")
        }
    }

    private func computeLoop() {
        while true {
            condition.lock()
            var job: Job?
            while job == nil {
                let (next, stopped) = state.withLock { state -> (Job?, Bool) in
                    (state.jobs.first, state.stopped)
                }
                if stopped { condition.unlock(); return }
                job = next
                if job == nil { condition.wait() }
            }
            condition.unlock()
            guard let job else { continue }
            let started = ContinuousClock.now
            powerModel?.setUtilisation(1, at: clock())
            var output = (try? Int8Interpreter.run(job.model, input: job.input.map { Int8(bitPattern: $0) })) ?? []
            let seconds = spec.computeSeconds(macs: job.model.macs)
            let remaining = seconds - (ContinuousClock.now - started).inSeconds
            if remaining > 0.00005 { Thread.sleep(forTimeInterval: remaining) }
            let busy = (ContinuousClock.now - started).inSeconds
            let (more, wrong) = state.withLock { state -> (Bool, Bool) in
                state.jobs.removeFirst()
                state.inferences += 1
                state.busySeconds += busy
                return (!state.jobs.isEmpty, state.wrongOutputs)
            }
            if wrong, !output.isEmpty { output[0] = output[0] &+ 1 }
            if !more { powerModel?.setUtilisation(0, at: clock()) }
            send([BoardMessage.result(output: output.map { UInt8(bitPattern: $0) },
                                      computeMicroseconds: UInt32(clamping: Int((seconds * 1e6).rounded()))).frame(requestID: job.requestID)])
        }
    }
}
