import Synchronization

/// A tap that fails chosen transfers with a chosen error: how tests and the lab make
/// timeouts, stalls and disconnects happen on demand, on any backend.
public final class USBFaultInjector: USBTap {
    /// Which transfers a rule applies to.
    public struct Match: Sendable {
        let test: @Sendable (USBTransfer) -> Bool

        public init(_ test: @escaping @Sendable (USBTransfer) -> Bool) { self.test = test }

        public static let any = Match { _ in true }
        public static func endpoint(_ address: UInt8) -> Match {
            Match {
                switch $0.pipe {
                case .bulk(let endpoint), .interrupt(let endpoint): endpoint == address
                case .control: false
                }
            }
        }
        public static func controlRequest(_ request: UInt8) -> Match {
            Match { if case .control(let setup) = $0.pipe { setup.request == request } else { false } }
        }
    }

    private struct Rule {
        var match: Match
        var code: USBError.Code
        var skip: Int
        var remaining: Int
    }

    private let rules = Mutex<[Rule]>([])

    public init() {}

    /// Fails `times` matching transfers with `code`, after letting `after` of them through.
    public func fail(_ code: USBError.Code, matching: Match = .any, after: Int = 0, times: Int = 1) {
        rules.withLock { $0.append(Rule(match: matching, code: code, skip: after, remaining: times)) }
    }

    public func willPerform(_ transfer: USBTransfer, on device: USBDeviceInfo) throws {
        let code: USBError.Code? = rules.withLock { rules in
            for index in rules.indices where rules[index].remaining > 0 && rules[index].match.test(transfer) {
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
            throw USBError(code, operation: transfer.operation, detail: "(injected fault)")
        }
    }
}
