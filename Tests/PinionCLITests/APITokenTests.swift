import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PinionController
import PinionScheduler
import PinionUSB
import Testing

/// The API on TCP answers only requests that carry the token.
@Suite("pinion run: API on TCP with a token")
struct APITokenTests {
    @Test func requestsWithoutTheTokenAreRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = 20_000 + Int.random(in: 0..<20_000)
        let token = "s3cret-token-\(UUID().uuidString)"
        try (token + "\n").write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("pinion.toml")
        try """
            [scheduler]
            journal = "\(directory.appendingPathComponent("journal.sqlite").path)"
            [api]
            socket = "\(directory.appendingPathComponent("api.sock").path)"
            tcp = "127.0.0.1:\(port)"
            token_file = "\(directory.appendingPathComponent("token").path)"
            [ledger]
            identity = "\(directory.appendingPathComponent("identity.pem").path)"
            path = "\(directory.appendingPathComponent("ledger.jsonl").path)"
            """.write(to: config, atomically: true, encoding: .utf8)
        let process = try await BlockingCall.run("start pinion") {
            try ControllerRestartTests.start(config: config, client: ControllerClient(socketPath: directory.appendingPathComponent("api.sock").path))
        }
        defer { process.terminate(); process.waitUntilExit() }
        func status(_ authorization: String?) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/status")!)
            if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        #expect(try await status(nil) == 401)
        #expect(try await status("Bearer wrong-token-of-some-length") == 401)
        #expect(try await status("Bearer \(token)") == 200)
    }
}
