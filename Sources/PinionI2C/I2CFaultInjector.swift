import Synchronization

/// A tap that fails chosen operations with a chosen error: how tests and the lab make a NACK
/// or a timeout happen on demand, on any backend. The error names the bus, address and
/// register like a real one, with detail "injected fault".
public final class I2CFaultInjector: I2CTap {
    /// Which operations a rule applies to.
    public struct Match: Sendable {
        let test: @Sendable (I2COperation) -> Bool

        public init(_ test: @escaping @Sendable (I2COperation) -> Bool) { self.test = test }

        /// Every operation.
        public static let any = Match { _ in true }
        /// Operations that read data back.
        public static let reads = Match { $0.reads }
        /// Operations that only write.
        public static let writes = Match { !$0.reads }
        /// Operations addressed to `address`.
        public static func address(_ address: I2CAddress) -> Match { Match { $0.address == address } }
        /// SMBus transactions on `register` of `address`.
        public static func register(_ register: UInt8, at address: I2CAddress) -> Match {
            Match { $0.address == address && $0.register == register }
        }
    }

    private struct Rule {
        var match: Match
        var code: I2CError.Code
        var skip: Int
        var remaining: Int
    }

    private let rules = Mutex<[Rule]>([])

    public init() {}

    /// Fails `times` matching operations with `code`, after letting `after` of them through:
    /// `fail(.noAcknowledge, matching: .reads, after: 2)` makes the third read NACK.
    public func fail(_ code: I2CError.Code, matching: Match = .any, after: Int = 0, times: Int = 1) {
        rules.withLock { $0.append(Rule(match: matching, code: code, skip: after, remaining: times)) }
    }

    /// Drops every rule.
    public func reset() { rules.withLock { $0.removeAll() } }

    public func willPerform(_ operation: I2COperation, on bus: String) throws(I2CError) {
        let code: I2CError.Code? = rules.withLock { rules in
            for index in rules.indices where rules[index].remaining > 0 && rules[index].match.test(operation) {
                if rules[index].skip > 0 {
                    rules[index].skip -= 1
                    continue
                }
                rules[index].remaining -= 1
                return rules[index].code
            }
            return nil
        }
        if let code {
            throw I2CError(code, operation: operation.errorOperation, bus: bus, address: operation.address,
                           register: operation.register, detail: "injected fault")
        }
    }
}
