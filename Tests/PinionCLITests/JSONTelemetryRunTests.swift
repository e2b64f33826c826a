import Foundation
import PinionController
import PinionSystem
import PinionTestSupport
import Testing

/// `pinion run --simulate` with `telemetry = "json"`: the state topic, the boards' arrivals and
/// their periodic reports, as plain JSON a subscriber can read.
@Suite("pinion run: JSON telemetry (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct JSONTelemetryRunTests {
    @Test func stateBoardsAndReportsArriveAsJSON() async throws {
        try await BlockingCall.run("json scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let broker = try MosquittoBroker()
        let gateway = try TestGateway("json", upstream: (broker.port, """
            topic_prefix = "site"
            telemetry = "json"
            telemetry_interval_s = 0.5
            """))
        defer { gateway.remove() }
        let subscriber = try Subscriber(port: broker.port, topic: "site/#", clientID: "sub-\(UUID().uuidString.prefix(8))")
        Thread.sleep(forTimeInterval: 0.3)
        let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
        Thread.sleep(forTimeInterval: 1.2)
        process.terminate()
        process.waitUntilExit()
        let lines = subscriber.lines(atLeast: 20, within: 10)
        func documents(_ suffix: String) -> [(topic: String, json: [String: Any])] {
            lines.compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0].hasSuffix(suffix),
                      let json = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] else { return nil }
                return (parts[0], json)
            }
        }
        let states = lines.filter { $0.split(separator: " ").first?.hasSuffix("/state") == true && !$0.contains("/boards/") }
        #expect(states.map { $0.split(separator: " ").last.map(String.init) } == ["online", "offline"], "\(states)")
        let arrivals = documents("/state").filter { $0.topic.contains("/boards/") }
        #expect(Set(arrivals.compactMap { $0.topic.split(separator: "/").dropLast().last.map(String.init) })
                == ["EMU-S-0001", "EMU-S-0002", "EMU-L-0001", "EMU-L-0002", "EMU-L-0003", "CORAL-0001", "3574364C3034"])
        #expect(arrivals.allSatisfy { $0.json["state"] as? String == "attached" })
        let boardReports = documents("/telemetry").filter { $0.topic.contains("/boards/") }
        #expect(boardReports.count >= 4)
        let metrics = try #require(boardReports.first?.json["metrics"] as? [String: Any])
        #expect(metrics["firmware/version"] is String && metrics["model"] is String && metrics["tasks/completed"] is NSNumber)
        let node = try #require(documents("/telemetry").last { !$0.topic.contains("/boards/") })
        #expect(node.json["board"] is NSNull)
        #expect((node.json["metrics"] as? [String: Any])?["boards/linked"] as? Int == 4)
        #expect((node.json["metrics"] as? [String: Any])?["boards/attached"] as? Int == 7)
    }
}
