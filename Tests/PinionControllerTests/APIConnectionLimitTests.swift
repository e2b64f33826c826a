import Foundation
@testable import PinionController
import PinionScheduler
import PinionSystem
import Testing

/// Waits end and connections do not pile up (issue #13, items 8 and 9): a long poll returns when
/// its time is up, idle and slow connections are closed after their timeouts, and clients
/// beyond the connection cap wait their turn instead of locking the API out.
@Suite("API: waits expire, connections are bounded")
struct APIConnectionLimitTests {
    @Test func aLongPollOnATaskThatNeverFinishesReturnsWhenItsTimeIsUp() async throws {
        try await APIScenario.run { api in
            let submitted = try await api.submit("{\"id\": \"never\", \"model\": \"digits\", \"input\": \(APIScenario.digit)}")
            #expect(submitted.status == 200)
            for _ in 0..<3 {
                let started = Date()
                let answer = try await api.call("GET", "/v1/tasks/never?wait=1", timeout: 15)
                let took = Date().timeIntervalSince(started)
                #expect(answer.status == 200 && answer.json["state"] as? String == "queued", "\(answer)")
                // Well under the client's 15 s: the wait ended at its time (plus a loaded machine's delay), not never.
                #expect(took >= 0.9 && took < 12, "the wait took \(took) s")
            }
        }
    }

    @Test func idleConnectionsBeyondTheCapNeitherLockOutNorStay() async throws {
        var limits = APIConnectionLimits()
        limits.maxConnections = 8
        limits.idleTimeoutSeconds = 3
        limits.bodyTimeoutSeconds = 3
        try await APIScenario.run(tcp: true, limits: limits) { api in
            let port = try #require(api.port)
            let idle = try await BlockingCall.run("connect") { try (0..<50).map { _ in try RawTCP(port: port) } }
            // (Let the server take them all in: they are there before the client below comes.)
            try await Task.sleep(for: .milliseconds(500))
            // The Unix socket has slots of its own: it answers at once.
            let local = try await api.call("GET", "/v1/status", timeout: 5)
            #expect(local.status == 200)
            // An authorised TCP client is served at once: it takes an idle connection's slot
            // (well before the idle timeout could have freed one).
            let started = Date()
            let answer = try await BlockingCall.run("authorised call") {
                let connection = try RawTCP(port: port)
                connection.send("GET /v1/status HTTP/1.1\r\nHost: pinion\r\nAuthorization: Bearer \(api.token)\r\nConnection: close\r\n\r\n")
                return connection.readToClose(within: 20) ?? "no answer"
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
            #expect(Date().timeIntervalSince(started) < 2, "served after \(Date().timeIntervalSince(started)) s")
            // Every idle connection was closed by the server (end of stream, nothing sent): those
            // over the cap when newer ones came, the rest after the idle timeout.
            let closed = try await BlockingCall.run("read idle connections") {
                idle.filter { $0.readToClose(within: 20) == "" }.count
            }
            #expect(closed == idle.count, "\(closed) of \(idle.count) idle connections closed")
        }
    }

    @Test func aHeadOrBodyThatTricklesIsCutOff() async throws {
        var limits = APIConnectionLimits()
        limits.idleTimeoutSeconds = 1
        limits.bodyTimeoutSeconds = 1
        try await APIScenario.run(tcp: true, limits: limits) { api in
            let port = try #require(api.port)
            func trickle(_ start: String, _ piece: String) async throws -> Double {
                try await BlockingCall.run("trickle") {
                    let connection = try RawTCP(port: port)
                    let started = Date()
                    connection.send(start)
                    // A byte every 0.3 s: more often than either timeout, for up to 10 s.
                    var open = true
                    while open && Date().timeIntervalSince(started) < 10 {
                        Thread.sleep(forTimeInterval: 0.3)
                        connection.send(piece)
                        open = connection.readToClose(within: 0.01) == nil
                    }
                    return Date().timeIntervalSince(started)
                }
            }
            let head = try await trickle("GET /v1/status HTTP/1.1\r\n", "X")
            #expect(head < 4, "a head trickled for \(head) s")
            let body = try await trickle("POST /v1/tasks HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer \(api.token)\r\nContent-Length: 100000\r\n\r\n", "{")
            #expect(body < 4, "a body trickled for \(body) s")
        }
    }
}
