import Logging

/// A tap that logs every operation and its outcome at trace level.
public struct I2CTraceTap: I2CTap {
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func didPerform(_ operation: I2COperation, on bus: String, outcome: Result<I2COperationResult, I2CError>) {
        switch outcome {
        case .success(let result): logger.trace("\(bus) \(operation) -> \(result)")
        case .failure(let error): logger.trace("\(bus) \(operation) -> \(error.code.summary) (\(error.errnoName))")
        }
    }
}
