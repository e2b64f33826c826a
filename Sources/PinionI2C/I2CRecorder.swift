import Synchronization

/// A tap that keeps every operation and its outcome, in order: a trace for tests and for
/// `--record`-style diagnostics on real hardware.
public final class I2CRecorder: I2CTap {
    /// One recorded operation.
    public struct Entry: Hashable, Sendable {
        public var bus: String
        public var operation: I2COperation
        public var outcome: Result<I2COperationResult, I2CError>
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    /// Everything recorded so far.
    public var recorded: [Entry] { entries.withLock { $0 } }

    /// Forgets what was recorded.
    public func clear() { entries.withLock { $0.removeAll() } }

    public func didPerform(_ operation: I2COperation, on bus: String, outcome: Result<I2COperationResult, I2CError>) {
        entries.withLock { $0.append(Entry(bus: bus, operation: operation, outcome: outcome)) }
    }
}
