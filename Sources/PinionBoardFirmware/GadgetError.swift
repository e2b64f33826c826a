import Foundation

/// A USB gadget set-up or I/O step that failed: what, where (a configfs or FunctionFS path), and
/// the errno, on one line.
public struct GadgetError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32?
    public var hint: String?

    public init(_ operation: String, path: String, errno: Int32? = nil, hint: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.hint = hint
    }

    public var description: String {
        var text = "\(operation) \(path)"
        if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        if let hint { text += " — \(hint)" }
        return text
    }
}
