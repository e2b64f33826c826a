import Foundation
import Glibc

/// Talks to a running controller's local API on its Unix socket (`pinion submit`, `tasks`,
/// `status`, the tests): HTTP/1.1, one request per connection, JSON bodies.
public struct ControllerClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    /// A failed call: the controller is not running, or answered with an error.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `timeout`: seconds without an answer after which the call fails (a long poll's wait plus a margin).
    public func get<T: Decodable>(_ path: String, as _: T.Type = T.self, timeout: Double = Self.defaultTimeout) throws -> T {
        try decode(try send("GET", path, body: nil, timeout: timeout))
    }

    /// How long a call waits for the controller's answer unless told otherwise.
    public static let defaultTimeout = 120.0

    public func post<T: Decodable, B: Encodable>(_ path: String, _ body: B, as _: T.Type = T.self) throws -> T {
        try decode(try send("POST", path, body: try JSONEncoder().encode(body)))
    }

    /// A text answer and its content type (`GET /metrics`).
    public func text(_ path: String) throws -> (contentType: String?, text: String) {
        let response = try send("GET", path, body: nil)
        guard (200..<300).contains(response.status) else {
            throw Failure(description: "controller answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return (response.contentType, String(decoding: response.body, as: UTF8.self))
    }

    private func decode<T: Decodable>(_ response: (status: Int, contentType: String?, body: Data)) throws -> T {
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONDecoder().decode(APIErrorBody.self, from: response.body).error)
                ?? (try? JSONDecoder().decode(HummingbirdError.self, from: response.body).error.message)
                ?? String(decoding: response.body, as: UTF8.self)
            throw Failure(description: "controller answered \(response.status): \(message)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw Failure(description: "controller's answer is not the expected JSON: \(error)")
        }
    }

    /// Hummingbird's error body: `{"error":{"message":"..."}}`.
    private struct HummingbirdError: Decodable {
        struct Inner: Decodable { var message: String }
        var error: Inner
    }

    /// One line for a failed connect(2): a refused permission names the socket's group, since the
    /// usual cause is a user not (yet) in it; anything else asks whether the controller runs.
    static func connectFailure(_ code: Int32, socketPath: String) -> String {
        let reason = String(cString: strerror(code))
        guard code == EACCES || code == EPERM else {
            return "cannot reach the controller at \(socketPath): \(reason) (is `pinion run` running? is --socket right?)"
        }
        // The socket, or when its directory may not be searched (0750), the directory: both are the group's.
        let directory = (socketPath as NSString).deletingLastPathComponent
        var owner = stat()
        let owned = stat(socketPath, &owner) == 0 || stat(directory.isEmpty ? "." : directory, &owner) == 0
        let group = owned ? getgrgid(owner.st_gid).map { String(cString: $0.pointee.gr_name) } : nil
        let named = group.map { "group \($0)" } ?? "the socket's group"
        return "cannot reach the controller at \(socketPath): \(reason): it is for \(named) (sudo usermod -aG \(group ?? "GROUP") $USER, then log in again)"
    }

    /// Sends one request and reads the whole response (the server closes after it).
    func send(_ method: String, _ path: String, body: Data?, timeout: Double = Self.defaultTimeout) throws -> (status: Int, contentType: String?, body: Data) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] { setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size)) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw Failure(description: Self.connectFailure(errno, socketPath: socketPath)) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: pinion\r\nConnection: close\r\n"
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        request += "\r\n"
        var writeFailure: (any Error)?
        do {
            try writeAll(fd, Data(request.utf8) + (body ?? Data()))
        } catch {
            // The controller may have answered before taking the whole body (413) and closed.
            writeFailure = error
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw Failure(description: "the controller at \(socketPath) did not answer \(method) \(path) within \(timeout) s")
            }
            guard count > 0 else { break }
            response.append(contentsOf: buffer[0..<count])
        }
        if let writeFailure, response.isEmpty { throw writeFailure }
        return try parse(response)
    }

    /// Writes the request, in pieces of at most 64 KiB; stops early when the controller has
    /// answered already (a 413 before the whole body is sent: it reads no more of it).
    private func writeAll(_ fd: Int32, _ data: Data) throws {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            var ready = pollfd(fd: fd, events: Int16(POLLIN | POLLOUT), revents: 0)
            if poll(&ready, 1, -1) > 0 && ready.revents & Int16(POLLIN) != 0 { return }
            let piece = min(bytes.count - offset, 65536)
            let written = bytes[offset..<(offset + piece)].withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Failure(description: "writing to \(socketPath): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    /// Status code, content type and body (Content-Length or chunked) of an HTTP/1.1 response.
    private func parse(_ response: Data) throws -> (status: Int, contentType: String?, body: Data) {
        let bytes = [UInt8](response)
        guard let end = bytes.indices.first(where: { $0 + 3 < bytes.count && bytes[$0...($0 + 3)].elementsEqual([13, 10, 13, 10]) }) else {
            throw Failure(description: "the controller closed the connection without a complete answer")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "not an HTTP answer: \(head.first ?? "")") }
        let contentType = head.dropFirst().first { $0.lowercased().hasPrefix("content-type:") }
            .map { $0.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces) }
        let headers = head.dropFirst().map { $0.lowercased() }
        var body = Array(bytes[(end + 4)...])
        if headers.contains("transfer-encoding: chunked") {
            var decoded: [UInt8] = []
            var index = 0
            while let lineEnd = body[index...].indices.first(where: { $0 + 1 < body.count && body[$0] == 13 && body[$0 + 1] == 10 }),
                  let size = Int(String(decoding: body[index..<lineEnd], as: UTF8.self), radix: 16), size > 0 {
                decoded += body[(lineEnd + 2)..<min(lineEnd + 2 + size, body.count)]
                index = lineEnd + 2 + size + 2
                guard index < body.count else { break }
            }
            body = decoded
        }
        return (status, contentType, Data(body))
    }
}
