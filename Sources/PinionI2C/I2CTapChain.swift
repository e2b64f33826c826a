import Synchronization

/// The chokepoint both backends run every operation through: taps before, the backend's
/// work, taps after, errors stamped with the bus name. A backend calls `perform` once per
/// SMBus transaction or transfer and nowhere else.
///
/// Thread-safe; taps may be added while the bus is in use.
public final class I2CTapChain: Sendable {
    private let taps: Mutex<[any I2CTap]>

    public init(_ taps: [any I2CTap] = []) { self.taps = Mutex(taps) }

    /// Adds a tap after those already present.
    public func add(_ tap: any I2CTap) { taps.withLock { $0.append(tap) } }

    /// Removes every tap.
    public func removeAll() { taps.withLock { $0.removeAll() } }

    /// Runs an SMBus transaction through the taps.
    public func smbus(_ transaction: SMBusTransaction, address: I2CAddress, bus: String,
                      _ body: () throws(I2CError) -> SMBusResult) throws(I2CError) -> SMBusResult {
        let operation = I2COperation.smbus(transaction, address: address)
        let outcome = run(operation, bus: bus) { () throws(I2CError) in .smbus(try body()) }
        switch outcome {
        case .success(.smbus(let result)): return result
        case .success(.transfer): preconditionFailure("SMBus operation produced a transfer result")
        case .failure(let error): throw error
        }
    }

    /// Runs an I2C transfer through the taps.
    public func transfer(_ messages: [I2CMessage], bus: String,
                         _ body: () throws(I2CError) -> [[UInt8]]) throws(I2CError) -> [[UInt8]] {
        let operation = I2COperation.transfer(messages)
        let outcome = run(operation, bus: bus) { () throws(I2CError) in .transfer(try body()) }
        switch outcome {
        case .success(.transfer(let result)): return result
        case .success(.smbus): preconditionFailure("transfer produced an SMBus result")
        case .failure(let error): throw error
        }
    }

    private func run(_ operation: I2COperation, bus: String,
                     _ body: () throws(I2CError) -> I2COperationResult) -> Result<I2COperationResult, I2CError> {
        let current = taps.withLock { $0 }
        let outcome: Result<I2COperationResult, I2CError>
        do throws(I2CError) {
            for tap in current { try tap.willPerform(operation, on: bus) }
            outcome = .success(try body())
        } catch {
            outcome = .failure(error.on(bus: bus))
        }
        for tap in current { tap.didPerform(operation, on: bus, outcome: outcome) }
        return outcome
    }
}
