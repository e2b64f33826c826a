import Glibc

/// The service manager's notification socket (`sd_notify(3)`): `READY=1` once the controller
/// serves, `STOPPING=1` when it begins to stop, `WATCHDOG=1` while it is alive, `STATUS=` lines.
///
/// systemd passes the socket in `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace)
/// to a `Type=notify` unit; outside systemd there is none and nothing is sent. Datagrams are sent
/// without blocking; a lost one is the manager's to notice (a missed watchdog ping restarts us).
public struct SystemdNotifier: Sendable {
    /// `$NOTIFY_SOCKET` as given.
    public let socketPath: String

    /// The notifier for this process, when it runs under a service manager that asked for notifications.
    public static func fromEnvironment() -> SystemdNotifier? {
        guard let path = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !path.isEmpty,
              path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        return SystemdNotifier(socketPath: path)
    }

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// How often the manager wants `WATCHDOG=1` (`$WATCHDOG_USEC`), when it watches this process
    /// (`$WATCHDOG_PID` unset or ours).
    public static func watchdogInterval() -> Duration? {
        guard let text = getenv("WATCHDOG_USEC").map({ String(cString: $0) }), let microseconds = UInt64(text), microseconds > 0 else { return nil }
        if let pid = getenv("WATCHDOG_PID").map({ String(cString: $0) }), Int32(pid) != getpid() { return nil }
        return .microseconds(microseconds)
    }

    /// Sends one notification ("READY=1", "STATUS=…"); false when it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        // An abstract socket's name starts with a NUL byte, and its length counts exactly its bytes.
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == message.count
    }
}
