/// What runs a board's models: Pinion's reference `pinion-int8` interpreter
/// (`InterpreterBackend`), or a vendor runtime in a worker process (`ExecBackend`).
/// `BoardFirmware` calls it from its worker threads; an implementation must be safe to call
/// concurrently (`infer` for different requests at once, `load`/`unload` in between).
public protocol InferenceBackend: Sendable {
    /// Model formats it runs, as HELLO reports them (`pinion-int8`, ...).
    var modelFormats: [String] { get }
    /// Makes `bytes` (a whole, checksum-verified model) runnable as `id`, replacing any model of
    /// that id. Returns the number of input bytes an INFER for it must carry, or nil when only
    /// the backend itself can tell (it then answers a wrong size at `infer`).
    func load(id: String, bytes: [UInt8]) throws(BackendError) -> Int?
    /// Forgets model `id`.
    func unload(id: String) throws(BackendError)
    /// Runs model `id` on `input` and returns its output bytes.
    func infer(id: String, input: [UInt8]) throws(BackendError) -> [UInt8]
}

/// Why a backend refused or failed; `code` is the board-protocol ERROR it becomes.
public struct BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case badModel, unknownModel, badInput, failed
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
