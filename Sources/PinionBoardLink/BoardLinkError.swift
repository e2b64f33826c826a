/// A board protocol request that did not get its answer; says which board and why.
public enum BoardLinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The board answered ERROR.
    case board(BoardErrorCode, String)
    /// No reply within the request's timeout.
    case timeout(request: String, seconds: Double)
    /// The board left the bus, or the connection was closed.
    case disconnected(String)
    /// The reply could not be read (checksum, length, version) or was not the expected kind.
    case protocolError(String)
    /// A USB transfer failed.
    case usb(String)

    public var description: String {
        switch self {
        case .board(let code, let message): "board error \(code): \(message)"
        case .timeout(let request, let seconds): "no reply to \(request) within \(seconds) s"
        case .disconnected(let why): "board disconnected: \(why)"
        case .protocolError(let why): "protocol error: \(why)"
        case .usb(let why): "USB: \(why)"
        }
    }

    /// True when the board itself is gone (its tasks should move elsewhere).
    public var isDisconnection: Bool {
        if case .disconnected = self { return true }
        return false
    }
}
