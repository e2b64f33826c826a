/// A key file or trust store that cannot be used, on one line with the file and what to do, e.g.
/// `keys/vendor.pem: not an Ed25519 key (algorithm 1.2.840.10045.2.1); Pinion trusts Ed25519 public keys only`.
public struct FirmwareKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file or directory.
    public var path: String
    /// What is wrong, in words a technician can act on.
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(OneLine.clean(path)): \(OneLine.clean(problem))" }
}
