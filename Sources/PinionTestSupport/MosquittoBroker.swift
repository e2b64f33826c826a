import Foundation
import Glibc

/// A real mosquitto broker on 127.0.0.1 for the tests, with persistence so a subscriber's
/// session (and the messages queued for it) survives a broker restart; optionally with a
/// password file (anonymous clients refused) and a TLS listener whose certificates are made at
/// start with `openssl`, optionally requiring a client certificate.
public final class MosquittoBroker: @unchecked Sendable {
    /// How the broker lets clients in.
    public struct Options: Sendable {
        /// Username → password (`mosquitto_passwd`); when any, `allow_anonymous false`.
        public var users: [String: String] = [:]
        /// A TLS listener (CA and server certificate in `certificates`) instead of plain TCP.
        public var tls = false
        /// TLS only: clients must show a certificate the CA signed.
        public var requireClientCertificate = false

        public init(users: [String: String] = [:], tls: Bool = false, requireClientCertificate: Bool = false) {
            self.users = users
            self.tls = tls
            self.requireClientCertificate = requireClientCertificate
        }
    }

    public let port: Int
    public let directory: URL
    public let options: Options
    /// The CA that signed the broker's certificate, when TLS is on; it issues client certificates too.
    public let certificates: TestCertificates?
    private var process: Process?

    /// False (the test says why, loudly) when mosquitto is not installed.
    public static func available() -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto") }

    public init(_ options: Options = Options()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = Self.freePort()
        self.options = options
        var lines = ["listener \(port) 127.0.0.1", "allow_anonymous \(options.users.isEmpty)"]
        if !options.users.isEmpty {
            let passwords = directory.appendingPathComponent("passwords").path
            for (index, user) in options.users.sorted(by: { $0.key < $1.key }).enumerated() {
                try Self.run("/usr/bin/mosquitto_passwd", ["-b"] + (index == 0 ? ["-c"] : []) + [passwords, user.key, user.value])
            }
            lines.append("password_file \(passwords)")
        }
        if options.tls {
            let certificates = try TestCertificates(directory: directory.appendingPathComponent("tls"))
            let server = try certificates.issue("server", commonName: "127.0.0.1", server: true)
            lines += ["cafile \(certificates.caFile)", "certfile \(server.certificate)", "keyfile \(server.key)",
                      "require_certificate \(options.requireClientCertificate)"]
            self.certificates = certificates
        } else {
            certificates = nil
        }
        // Run as whoever runs the tests: started as root, mosquitto would otherwise switch to the
        // user `mosquitto`, which cannot write the persistence file into this directory, and a
        // restart would forget the subscribers' sessions (and the messages queued for them).
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        // QoS 0 messages (Sparkplug's births and data) are queued for a persistent subscriber that
        // is away too, as for QoS 1: after a broker restart the gateway may be back before the
        // test's subscriber, and what it publishes meanwhile must still reach the subscriber.
        lines += ["user \(user)", "persistence true", "persistence_location \(directory.path)/", "autosave_interval 1",
                  "max_queued_messages 100000", "queue_qos0_messages true"]
        // mosquitto's default log, and each SUBSCRIBE ("<client id> <qos> <filter>"): `waitForSubscription`.
        lines += ["error", "warning", "notice", "information", "subscribe"].map { "log_type \($0)" }
        try lines.joined(separator: "\n").write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    /// What a client needs to get in as `user` (with its password), over TLS when the broker
    /// uses it (trusting its CA, with a client certificate when the broker requires one).
    public func login(user: String? = nil) throws -> Login {
        var login = Login()
        if let user {
            login.username = user
            login.password = options.users[user]
        }
        if let certificates {
            login.caFile = certificates.caFile
            if options.requireClientCertificate {
                let client = try certificates.issue("client-\(UUID().uuidString.prefix(8))", commonName: user ?? "pinion-test-client", server: false)
                login.certificateFile = client.certificate
                login.keyFile = client.key
            }
        }
        return login
    }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", directory.appendingPathComponent("mosquitto.conf").path]
        let log = directory.appendingPathComponent("mosquitto.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
        // Ready when it accepts connections and is still running: on a restart, another test's
        // broker may have been given the same free port meanwhile, and then it answers while this
        // one exits with "Address already in use".
        for _ in 0..<200 {
            if Self.canConnect(port) {
                Thread.sleep(forTimeInterval: 0.05)
                if process.isRunning { return }
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let said = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").filter { $0.contains("Error") }.joined(separator: "; ") ?? ""
        throw TestSupportError("mosquitto did not listen on \(port)\(said.isEmpty ? "" : ": \(said)")")
    }

    /// Waits until the broker has taken `clientID`'s SUBSCRIBE (to `filter`, or to anything when
    /// nil): what is published from then on reaches that client. Instead of a guessed sleep
    /// between starting a subscriber and publishing.
    public func waitForSubscription(clientID: String, filter: String? = nil, timeout: Duration = .seconds(10)) async throws {
        let log = directory.appendingPathComponent("mosquitto.log")
        let subscribed = await eventually(timeout: timeout) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").contains { line in
                let parts = line.split(separator: " ")
                return parts.count == 4 && parts[1] == clientID && Int(parts[2]) != nil && (filter.map { parts[3] == $0 } ?? true)
            }
        }
        guard subscribed else { throw TestSupportError("mosquitto on \(port) saw no subscription of \(clientID) within \(timeout)") }
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

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let run = try ProgramRun(executable, arguments)
        guard run.status == 0 else { throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited \(run.status)") }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    public static func freePort() -> Int {
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

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func canConnect(_ port: Int) -> Bool {
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
    public let clientID: String

    public init(port: Int, topic: String, clientID: String, format: String = "%t %p", login: Login = Login()) throws {
        self.clientID = clientID
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-q", "1", "-c", "-i", clientID, "-F", format] + login.arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Complete lines received so far ("topic payload"), waiting until there are `count` or
    /// `seconds` pass.
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
        var lines = completeLines()
        while Date() < deadline && !done(lines) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(handle.fileDescriptor, &chunk, chunk.count)
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                lines = completeLines()
            } else {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        return lines
    }

    private func completeLines() -> [String] {
        guard let end = buffer.lastIndex(of: 0x0A) else { return [] }
        return String(decoding: buffer[..<end], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    deinit {
        // No waiting here: deinit may run on the concurrency pool.
        kill(process.processIdentifier, SIGKILL)
    }
}

/// A client's way in: username and password, and for TLS the CA to trust and a client certificate.
public struct Login: Sendable, Hashable {
    public var username: String?
    public var password: String?
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?

    public init(username: String? = nil, password: String? = nil, caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.username = username
        self.password = password
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// As `mosquitto_sub`/`mosquitto_pub` options.
    public var arguments: [String] {
        var arguments: [String] = []
        if let username { arguments += ["-u", username] }
        if let password { arguments += ["-P", password] }
        if let caFile { arguments += ["--cafile", caFile] }
        if let certificateFile { arguments += ["--cert", certificateFile] }
        if let keyFile { arguments += ["--key", keyFile] }
        return arguments
    }
}
