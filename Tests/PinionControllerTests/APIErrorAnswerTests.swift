import Foundation
@testable import PinionController
import PinionScheduler
import PinionSystem
import Testing

/// Every refusal of the API is a precise 4xx with a JSON body naming the field at fault, and a
/// task id is one the API can serve back (issue #13, items 4 and 11).
@Suite("API: error answers name the field")
struct APIErrorAnswerTests {
    static func task(id: String? = nil, input: String? = nil, extra: String = "") -> String {
        let idPart = id.map { "\"id\": \"\($0)\", " } ?? ""
        return "{\(idPart)\"model\": \"digits\", \"input\": \(input ?? "\(APIScenario.digit)")\(extra)}"
    }

    @Test func idsOutsideTheRuleAreRefusedNamingTheField() async throws {
        try await APIScenario.run { api in
            let megabyte = String(repeating: "x", count: 1 << 20)
            for bad in ["", "a b", "a/b", "caf\\u00e9", String(repeating: "y", count: 129), megabyte, "-lead", ".."] {
                let (status, json) = try await api.submit(Self.task(id: bad))
                #expect(status == 400, "id '\(bad.prefix(20))': \(status)")
                #expect(json["field"] as? String == "tasks[0].id", "\(json)")
                #expect((json["error"] as? String).map { !$0.isEmpty && $0.count < 400 } == true, "\(json)")
            }
            let counts = try await api.core.journal.counts()
            #expect(counts.values.reduce(0, +) == 0, "nothing refused was journaled: \(counts)")
        }
    }

    @Test func everyValidIdIsServedBackPlainAndPercentEncoded() async throws {
        try await APIScenario.run { api in
            let ids = ["a", "cam1-000123", "x.y_z:1+2=3@h~", String(repeating: "z", count: 128), UUID().uuidString]
            let (status, json) = try await api.submit(ids.map { Self.task(id: $0) }.joined(separator: ","))
            #expect(status == 200, "\(json)")
            for id in ids {
                let plain = try await api.call("GET", "/v1/tasks/\(id)")
                #expect(plain.status == 200 && plain.json["id"] as? String == id, "\(id): \(plain)")
                let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
                let viaEncoded = try await api.call("GET", "/v1/tasks/\(encoded)")
                #expect(viaEncoded.status == 200 && viaEncoded.json["id"] as? String == id, "\(encoded): \(viaEncoded)")
            }
            let unknown = try await api.call("GET", "/v1/tasks/never-submitted")
            #expect(unknown.status == 404 && unknown.json["field"] as? String == "id", "\(unknown)")
            let badPath = try await api.call("GET", "/v1/tasks/a%20b")
            #expect(badPath.status == 400 && badPath.json["field"] as? String == "id", "\(badPath)")
        }
    }

    @Test func fieldsThatDoNotFitAreNamed() async throws {
        try await APIScenario.run { api in
            let now = Date().timeIntervalSince1970
            let cases: [(String, String)] = [
                (Self.task(extra: ", \"deadline\": \(now - 10)"), "tasks[0].deadline"),
                (Self.task(input: "[1, 1.5]"), "tasks[0].input[1]"),
                (Self.task(input: "[1, 300]"), "tasks[0].input[1]"),
                (Self.task(extra: ", \"priority\": 99999999999999999999"), "tasks[0].priority"),
                (Self.task(extra: ", \"priority\": 2.5"), "tasks[0].priority"),
                (Self.task(input: "\"text\""), "tasks[0].input"),
                ("{\"model\": \"digits\"}", "tasks[0].input"),
                (Self.task(id: "ok-1") + "," + Self.task(id: "ok-2", input: "[1, 2]"), "tasks[1].input"),
                ("{\"id\": \"m-1\", \"model\": \"nope\", \"input\": [1]}", "tasks[0].model"),
            ]
            for (tasks, field) in cases {
                let (status, json) = try await api.submit(tasks)
                #expect(status == 400, "\(field): \(status) \(json)")
                #expect(json["field"] as? String == field, "\(tasks.prefix(80)): \(json)")
                let message = json["error"] as? String ?? ""
                #expect(!message.isEmpty && !message.contains("not valid JSON"), "\(field): \(message)")
            }
            let notJSON = try await api.call("POST", "/v1/tasks", body: Data("{not json".utf8))
            #expect(notJSON.status == 400 && (notJSON.json["error"] as? String)?.contains("not valid JSON") == true, "\(notJSON)")
            let future = try await api.submit(Self.task(id: "later", extra: ", \"deadline\": \(now + 3600)"))
            #expect(future.status == 200, "a deadline ahead is taken: \(future)")
        }
    }

    @Test func everyErrorStatusHasAJSONBody() async throws {
        try await APIScenario.run { api in
            let tooLarge = Data(("{\"tasks\": [" + String(repeating: Self.task() + ",", count: 12_000) + Self.task() + "]}").utf8)
            #expect(tooLarge.count > APIConnectionLimits().maxBodyBytes)
            let large = try await api.call("POST", "/v1/tasks", body: tooLarge)
            #expect(large.status == 413 && (large.json["error"] as? String)?.contains("bytes") == true, "\(large)")
            let noRoute = try await api.call("GET", "/v1/nothing-here")
            #expect(noRoute.status == 404 && (noRoute.json["error"] as? String)?.contains("/v1/nothing-here") == true, "\(noRoute)")
            let empty = try await api.submit("")
            #expect(empty.status == 400 && empty.json["field"] as? String == "tasks", "\(empty)")
            for (path, field) in [("/v1/tasks?limit=abc", "limit"), ("/v1/tasks?limit=0", "limit"), ("/v1/tasks/x?wait=-1", "wait"), ("/v1/tasks/x?wait=soon", "wait")] {
                let answer = try await api.call("GET", path)
                #expect(answer.status == 400 && answer.json["field"] as? String == field, "\(path): \(answer)")
            }
        }
    }

    @Test func theBearerSchemeIsCaseInsensitiveAndA401SaysWhy() async throws {
        try await APIScenario.run(tcp: true) { api in
            let port = try #require(api.port)
            func status(_ authorization: String?) async throws -> (Int, String) {
                try await BlockingCall.run("tcp call") {
                    let connection = try RawTCP(port: port)
                    connection.send("GET /v1/status HTTP/1.1\r\nHost: pinion\r\nConnection: close\r\n"
                                    + (authorization.map { "Authorization: \($0)\r\n" } ?? "") + "\r\n")
                    let answer = connection.readToClose(within: 10) ?? ""
                    return (Int(answer.split(separator: " ").dropFirst().first ?? "") ?? 0, answer)
                }
            }
            for scheme in ["Bearer", "bearer", "BEARER"] {
                #expect(try await status("\(scheme) \(api.token)").0 == 200, "\(scheme)")
            }
            for refused in [nil, "Bearer wrong", "Basic \(api.token)", "Bearer"] {
                let (code, answer) = try await status(refused)
                let label = refused ?? "none"
                #expect(code == 401, "\(label): \(answer)")
                #expect(answer.lowercased().contains("www-authenticate: bearer"), "\(answer)")
                #expect(answer.contains("\"field\":\"Authorization\""), "\(answer)")
            }
        }
    }
}
