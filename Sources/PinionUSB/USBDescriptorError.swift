/// A descriptor that cannot be parsed: says what is wrong and at which byte offset.
public struct USBDescriptorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Byte offset into the descriptor blob where the problem was found.
    public var offset: Int
    /// What is wrong, in words a technician can act on.
    public var problem: String

    public init(offset: Int, problem: String) {
        self.offset = offset
        self.problem = problem
    }

    public var description: String { "malformed USB descriptor at byte \(offset): \(problem)" }
}
