import Foundation
import Glibc
import Synchronization

/// A blocking TCP socket: just what the USB/IP server and its tests need, on loopback.
public final class TCPSocket: Sendable {
    /// The file descriptor; handed to vhci-hcd when attaching.
    public let descriptor: Int32
    private let writeLock = Mutex(())
    private let closed = Atomic<Bool>(false)
    private let released = Atomic<Bool>(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Connects to `host:port` (an IPv4 address such as 127.0.0.1).
    public static func connect(host: String, port: UInt16) throws -> TCPSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TCPError("socket", errno) }
        var address = try socketAddress(host: host, port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TCPError("connect to \(host):\(port)", code)
        }
        return TCPSocket(descriptor: fd)
    }

    static func socketAddress(host: String, port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw TCPError("parse address \(host)", EINVAL) }
        return address
    }

    /// Makes reads give up with EAGAIN after `timeout` instead of waiting for ever.
    public func setReceiveTimeout(_ timeout: Duration) {
        let microseconds = timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000
        var value = timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads exactly `count` bytes; throws at end of stream.
    public func read(exactly count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress! + filled, count - filled, 0) }
            if got == 0 { throw TCPError("read", 0, detail: "peer closed the connection") }
            if got < 0 {
                if errno == EINTR { continue }
                throw TCPError("read", errno)
            }
            filled += got
        }
        return buffer
    }

    /// Writes all of `bytes`; concurrent writers do not interleave.
    public func write(_ bytes: [UInt8]) throws {
        try writeLock.withLock { _ in
            var sent = 0
            while sent < bytes.count {
                let wrote = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw TCPError("write", errno)
                }
                sent += wrote
            }
        }
    }

    /// Shuts the connection down: the peer sees end of stream and a thread blocked reading here
    /// wakes with end of stream too. The descriptor itself is closed when the last reference goes
    /// (deinit), so no thread still holding this socket can read or write a descriptor number the
    /// kernel has meanwhile given to another socket. Idempotent.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Closes our descriptor now, leaving the connection to whoever else holds it (vhci-hcd).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = closed.exchange(true, ordering: .acquiringAndReleasing)
        Glibc.close(descriptor)
    }

    deinit {
        close()
        if !released.load(ordering: .acquiring) { Glibc.close(descriptor) }
    }
}

/// A listening TCP socket.
public final class TCPListener: Sendable {
    public let descriptor: Int32
    /// The port bound (useful when 0 asked for any free port).
    public let port: UInt16

    public init(host: String, port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TCPError("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = try TCPSocket.socketAddress(host: host, port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TCPError("listen on \(host):\(port)", code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// Waits for the next connection; throws once the listener is closed.
    public func accept() throws -> TCPSocket {
        while true {
            let fd = Glibc.accept(descriptor, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return TCPSocket(descriptor: fd)
            }
            if errno == EINTR { continue }
            throw TCPError("accept", errno)
        }
    }

    /// Stops listening: a thread blocked in `accept()` wakes with an error. The descriptor is
    /// closed in deinit, once no accepting thread can still use its number.
    public func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    deinit { Glibc.close(descriptor) }
}

/// A socket call that failed, with its errno.
public struct TCPError: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var detail: String?

    init(_ operation: String, _ code: Int32, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "\(operation): \(detail ?? String(cString: strerror(code)))"
    }
}
