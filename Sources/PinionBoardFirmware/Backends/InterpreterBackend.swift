import PinionModels
import Synchronization

/// Runs `pinion-int8` models with Pinion's reference interpreter (`Int8Interpreter`), bit-exact
/// with the host's own reference. The interpreter is pure, so inferences run concurrently.
public final class InterpreterBackend: InferenceBackend {
    private let models = Mutex<[String: Int8Model]>([:])

    public init() {}

    public var modelFormats: [String] { [Int8Model.formatName] }

    public func load(id: String, bytes: [UInt8]) throws(BackendError) -> Int? {
        let model: Int8Model
        do {
            model = try Int8Model(bytes: bytes)
        } catch {
            throw BackendError(.badModel, "model '\(id)': \(error)")
        }
        models.withLock { $0[id] = model }
        return model.inputCount
    }

    public func unload(id: String) throws(BackendError) {
        guard models.withLock({ $0.removeValue(forKey: id) }) != nil else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
    }

    public func infer(id: String, input: [UInt8]) throws(BackendError) -> [UInt8] {
        guard let model = models.withLock({ $0[id] }) else { throw BackendError(.unknownModel, "no model '\(id)' loaded") }
        guard input.count == model.inputCount else {
            throw BackendError(.badInput, "model '\(id)' takes \(model.inputCount) int8 inputs, got \(input.count)")
        }
        do {
            return try Int8Interpreter.run(model, input: input.map { Int8(bitPattern: $0) }).map { UInt8(bitPattern: $0) }
        } catch {
            throw BackendError(.failed, "model '\(id)': \(error)")
        }
    }
}
