/// Sees every SMBus transaction and I2C transfer at a bus's chokepoint, on every backend:
/// for tracing, counting and fault injection.
///
/// `willPerform` may throw to fail the operation before it reaches the bus (fault injection);
/// `didPerform` sees each outcome, injected or real. Taps are called on the calling thread,
/// inside no lock of the bus, and must be thread-safe.
public protocol I2CTap: Sendable {
    func willPerform(_ operation: I2COperation, on bus: String) throws(I2CError)
    func didPerform(_ operation: I2COperation, on bus: String, outcome: Result<I2COperationResult, I2CError>)
}

extension I2CTap {
    public func willPerform(_ operation: I2COperation, on bus: String) throws(I2CError) {}
    public func didPerform(_ operation: I2COperation, on bus: String, outcome: Result<I2COperationResult, I2CError>) {}
}
