import Foundation
import PinionController
import PinionScheduler
import PinionSystem
import Testing

/// The daemon's hold on its state: one controller per state, files other users cannot read,
/// and a part of the daemon that fails stops it instead of leaving it running without that part.
@Suite("pinion run: state lock, file modes, failing services")
struct StateSafetyTests {
    @Test func aSecondControllerOnTheSameStateIsRefusedAndNamesTheHolder() async throws {
        try await BlockingCall.run("second daemon") {
            let gateway = try TestGateway("lock")
            defer { gateway.remove() }
            let first = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { first.terminate(); first.waitUntilExit() }
            // Same journal, ledger and identity; another socket, so the socket check cannot catch it.
            let other = gateway.directory.appendingPathComponent("other.toml")
            let text = try String(contentsOf: gateway.config, encoding: .utf8)
                .replacingOccurrences(of: gateway.socket, with: gateway.directory.appendingPathComponent("other.sock").path)
            try text.write(to: other, atomically: true, encoding: .utf8)
            let second = try PinionProcess.run(["run", "--simulate", "--config", other.path], timeoutSeconds: 30)
            #expect(second.status != 0)
            #expect(second.stderr.contains("another controller (pid \(first.processIdentifier)) holds the state in \(gateway.directory.path)"),
                    "\(second.stderr)")
            #expect(!second.stdout.contains("scheduler:"), "the second daemon touched the journal: \(second.stdout)")
            // The first one is unharmed and still answers.
            #expect(try gateway.client.get("/v1/status", as: SchedulerStatus.self).boards.count >= 4)
        }
    }

    @Test func stateFilesAndTheirDirectoryGiveOtherUsersNoAccess() async throws {
        try await BlockingCall.run("file modes") {
            let gateway = try TestGateway("modes", upstream: (port: 1, keys: ""))
            defer { gateway.remove() }
            // The state in a directory the daemon has to create.
            let state = gateway.directory.appendingPathComponent("state").path
            let text = try String(contentsOf: gateway.config, encoding: .utf8)
                .replacingOccurrences(of: "\(gateway.directory.path)/journal", with: "\(state)/journal")
                .replacingOccurrences(of: "\(gateway.directory.path)/outbox", with: "\(state)/outbox")
                .replacingOccurrences(of: "\(gateway.directory.path)/ledger", with: "\(state)/ledger")
                .replacingOccurrences(of: "\(gateway.directory.path)/identity", with: "\(state)/identity")
            try text.write(to: gateway.config, atomically: true, encoding: .utf8)
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            _ = try gateway.client.post("/v1/tasks", SubmitRequest(tasks: [.init(id: "m1", model: "digits", input: Array(repeating: 0, count: 64))]),
                                        as: SubmitResponse.self)
            let files = ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "outbox.sqlite", "outbox.sqlite-wal",
                         "outbox.sqlite-shm", "ledger.jsonl", "identity.pem", StateLock.fileName]
            let modes = try files.map { name in (name, try Self.mode(of: "\(state)/\(name)")) }
            let directoryMode = try Self.mode(of: state)
            process.terminate()
            process.waitUntilExit()
            for (name, mode) in modes {
                #expect(mode & 0o007 == 0, "\(name) has mode \(String(mode, radix: 8))")
            }
            #expect(directoryMode & 0o007 == 0, "the state directory has mode \(String(directoryMode, radix: 8))")
        }
    }

    @Test func aTokenFileOtherUsersCanReadIsRefused() async throws {
        let gateway = try TestGateway("token-mode", tcp: (port: 1, token: "0123456789abcdef-token"))
        defer { gateway.remove() }
        let token = gateway.directory.appendingPathComponent("token").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: token)
        let run = try await BlockingCall.run("pinion run") { try PinionProcess.run(["run", "--simulate", "--config", gateway.config.path], timeoutSeconds: 30) }
        #expect(run.status != 0)
        #expect(run.stderr.contains("the API token file \(token) is open to other users (mode 644): chmod 600 \(token)"), "\(run.stderr)")
    }

    /// A part that fails (here the TCP API, whose port is taken) stops the daemon with one line
    /// naming it and a non-zero exit, for systemd to restart it; it used to keep running without it.
    @Test func aServiceThatFailsStopsTheDaemonWithOneLine() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = listen(listener, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let gateway = try TestGateway("failing-service", tcp: (port: port, token: "0123456789abcdef-token"))
        defer { gateway.remove() }
        let run = try await BlockingCall.run("pinion run") { try PinionProcess.run(["run", "--simulate", "--config", gateway.config.path], timeoutSeconds: 30) }
        #expect(run.status != 0, "\(run.stdout)")
        #expect(run.stdout.contains("pinion: API on tcp 127.0.0.1:\(port) failed:"), "\(run.stdout)")
        #expect(run.stderr.contains("API on tcp 127.0.0.1:\(port) failed:"), "\(run.stderr)")
    }

    private static func mode(of path: String) throws -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { throw CLIError("\(path): \(String(cString: strerror(errno)))") }
        return status.st_mode & 0o777
    }
}
