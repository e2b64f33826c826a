import Foundation
import Logging
@testable import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
import ServiceLifecycle

/// The API served in-process on a Unix socket (and, with `tcp`, on loopback TCP with a token),
/// over a real journal and a scheduler with no boards: submitted tasks stay queued.
struct APIScenario {
    let core: ControllerCore
    let client: ControllerClient
    let socket: String
    /// The TCP port, when served on TCP.
    let port: Int?
    let token = "scenario-token-0123456789"

    /// One digit image as API input values.
    static let digit: [Int] = { (try? DigitsDataset.testSplit()[0].input.map(Int.init)) ?? [] }()

    /// A request and its answer: the status and the body parsed as a JSON object.
    func call(_ method: String, _ path: String, body: Data? = nil, timeout: Double = 30) async throws -> (status: Int, json: [String: Any]) {
        let answer = try await BlockingCall.run("api call") { [client] in try client.send(method, path, body: body, timeout: timeout) }
        let json = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any] ?? [:]
        return (answer.status, json)
    }

    /// Submits tasks written as JSON objects, `{"tasks": [...]}`.
    func submit(_ tasks: String) async throws -> (status: Int, json: [String: Any]) {
        try await call("POST", "/v1/tasks", body: Data("{\"tasks\": [\(tasks)]}".utf8))
    }

    static func run(tcp: Bool = false, limits: APIConnectionLimits = APIConnectionLimits(), _ body: (APIScenario) async throws -> Void) async throws {
        let directory = URL(fileURLWithPath: "/tmp/pinion-api-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = SchedulerSettings()
        settings.journal = directory.appendingPathComponent("journal.sqlite").path
        settings.modelsDirectory = directory.path
        let core = try await ControllerCore(settings: settings)
        let socket = directory.appendingPathComponent("api.sock").path
        let port = tcp ? 20_000 + Int.random(in: 0..<20_000) : nil
        var services: [any Service] = [ControllerAPI.application(scheduler: core.scheduler, journal: core.journal,
                                                                 address: .unixDomainSocket(path: socket), limits: limits)]
        let scenario = APIScenario(core: core, client: ControllerClient(socketPath: socket), socket: socket, port: port)
        if let port {
            services.append(ControllerAPI.application(scheduler: core.scheduler, journal: core.journal, address: .hostname("127.0.0.1", port: port),
                                                      token: scenario.token, limits: limits))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        let run = Task { try await group.run() }
        // Blocking calls run on threads of their own: the concurrency pool serves the API.
        try await BlockingCall.run("wait for the API") { [client = scenario.client] in
            for _ in 0..<500 {
                if (try? client.send("GET", "/v1/status", body: nil, timeout: 5)) != nil, port.map({ (try? RawTCP(port: $0)) != nil }) ?? true { return }
                Thread.sleep(forTimeInterval: 0.01)
            }
            throw RawTCPError("the API did not answer within 5 s")
        }
        do {
            try await body(scenario)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = try? await run.value
    }
}

/// A plain TCP connection to 127.0.0.1 (the tests' own client: idle ones, slow ones, raw requests).
final class RawTCP: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawTCPError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RawTCPError("connect 127.0.0.1:\(port): \(reason)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
    }

    /// Everything read until the server closes or `seconds` pass without a byte; nil on timeout.
    func readToClose(within seconds: Double) -> String? {
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return nil }
            if count < 0 && errno == ECONNRESET { break }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

struct RawTCPError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
