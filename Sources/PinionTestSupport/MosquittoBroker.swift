import Foundation
import Glibc

/// A real mosquitto broker on 127.0.0.1 for the tests, with persistence so a subscriber's
/// session (and the messages queued for it) survives a broker restart.
public final class MosquittoBroker: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private var process: Process?

    /// False (the test says why, loudly) when mosquitto is not installed.
    public static func available() -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto") }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = Self.freePort()
        try """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory.path)/
            autosave_interval 1
            max_queued_messages 100000
            """.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", directory.appendingPathComponent("mosquitto.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it accepts connections.
        for _ in 0..<200 {
            if Self.canConnect(port) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw NSError(domain: "mosquitto", code: 1, userInfo: [NSLocalizedDescriptionKey: "mosquitto did not listen on \(port)"])
    }

    /// SIGTERM: mosquitto saves its persistence file and exits (waited for at most 5 s).
    public func stop() {
        guard let process else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        self.process = nil
    }

    deinit {
        if let process { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}

/// `mosquitto_sub` with a persistent session (QoS 1, -c): an independent subscriber; lines are
/// "topic payload" (`format` "%t %x": the payload in hex, for binary payloads such as Sparkplug's).
public final class Subscriber: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private var buffer = Data()

    public init(port: Int, topic: String, clientID: String, format: String = "%t %p") throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-q", "1", "-c", "-i", clientID, "-F", format]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Lines received so far ("topic payload"), waiting until there are `count` or `seconds` pass.
    public func lines(atLeast count: Int, within seconds: Double) -> [String] {
        lines(within: seconds) { $0.count >= count }
    }

    /// Lines received so far, waiting until `done` says they are enough or `seconds` pass. (QoS 1
    /// may deliver a message twice: wait for what must arrive, not for a number of lines.)
    public func lines(within seconds: Double, until done: ([String]) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        let handle = output.fileHandleForReading
        var flags = fcntl(handle.fileDescriptor, F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(handle.fileDescriptor, F_SETFL, flags)
        var lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
        while Date() < deadline && !done(lines) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(handle.fileDescriptor, &chunk, chunk.count)
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
            } else {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        return lines
    }

    deinit {
        // No waiting here: deinit may run on the concurrency pool.
        kill(process.processIdentifier, SIGKILL)
    }
}
