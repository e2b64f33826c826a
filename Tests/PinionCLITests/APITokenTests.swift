import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PinionController
import PinionScheduler
import PinionSystem
import Testing

/// The API on TCP answers only requests that carry the token.
@Suite("pinion run: API on TCP with a token")
struct APITokenTests {
    @Test func requestsWithoutTheTokenAreRefused() async throws {
        let port = 20_000 + Int.random(in: 0..<20_000)
        let token = "s3cret-token-\(UUID().uuidString)"
        let gateway = try TestGateway("token", tcp: (port, token))
        defer { gateway.remove() }
        let process = try await BlockingCall.run("start pinion") { try ControllerRestartTests.start(config: gateway.config, client: gateway.client) }
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
