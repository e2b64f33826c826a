import Foundation
import PinionController
import PinionModels
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// `pinion run --simulate` publishing Sparkplug B telemetry to a real mosquitto, read by an
/// independent subscriber: births of the node and its four boards, data with consecutive seq,
/// the Last Will (NDEATH, same bdSeq) when the controller is killed, the next start's bdSeq.
@Suite("pinion run: Sparkplug B telemetry (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct SparkplugRunTests {
    @Test func birthsDataAndTheWillOfAKilledController() async throws {
        try await BlockingCall.run("sparkplug scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let broker = try MosquittoBroker()
        let gateway = try TestGateway("sparkplug", upstream: (broker.port, """
            telemetry = "sparkplug"
            telemetry_interval_s = 0.5
            group_id = "site-7"
            node_id = "gw-1"
            """))
        defer { gateway.remove() }
        let subscriber = try Subscriber(port: broker.port, topic: "spBv1.0/#", clientID: "host-\(UUID().uuidString.prefix(8))", format: "%t %x")
        Thread.sleep(forTimeInterval: 0.3)
        let client = gateway.client
        let config = gateway.config
        let process = try ControllerRestartTests.start(config: config, client: client)
        let split = try DigitsDataset.testSplit()
        _ = try client.post("/v1/tasks", SubmitRequest(tasks: (0..<40).map { SubmitRequest.Task(id: "s\($0)", model: "digits", input: split[$0].input.map(Int.init)) }),
                            as: SubmitResponse.self)
        try ControllerRestartTests.waitFor(client, done: 40)
        Thread.sleep(forTimeInterval: 1.5)  // three more reports
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // mosquitto sends the Will once it sees the connection closed.
        var seen: [SparkplugWire] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && !seen.contains(where: { $0.topic.type == .nodeDeath }) {
            seen = SparkplugWire.resolvingAliases(subscriber.lines(atLeast: seen.count + 1, within: 1).compactMap(SparkplugWire.init(line:)))
        }
        #expect(seen.allSatisfy { $0.topic.group == "site-7" && $0.topic.node == "gw-1" })
        let births = seen.filter { $0.topic.type == .deviceBirth }
        #expect(seen.first?.topic.type == .nodeBirth && seen.first?.payload.seq == 0)
        // Every catalogued board is a device (bootloaders too); the four in run time are linked.
        #expect(Set(births.compactMap(\.topic.device)) == ["EMU-S-0001", "EMU-S-0002", "EMU-L-0001", "EMU-L-0002", "EMU-L-0003", "CORAL-0001", "3574364C3034"])
        #expect(Set(births.filter { $0.payload.metric(named: "runtime")?.telemetryValue == .string("pinion") }.compactMap(\.topic.device))
                == ["EMU-S-0001", "EMU-S-0002", "EMU-L-0001", "EMU-L-0003"])
        #expect(births.first { $0.topic.device == "EMU-L-0002" }?.payload.metric(named: "state")?.telemetryValue == .string("bootloader"))
        let live = seen.filter { $0.topic.type != .nodeDeath }
        #expect(live.map(\.payload.seq) == live.indices.map { UInt64($0 % 256) }, "one seq counter for the node and its boards: \(live)")
        let lastNodeData = try #require(seen.last { $0.topic.type == .nodeData })
        #expect(lastNodeData.payload.metric(named: "tasks/completed")?.telemetryValue == .unsigned(40))
        let boardData = seen.filter { $0.topic.type == .deviceData }
        let completedByBoard = Dictionary(boardData.map { ($0.topic.device ?? "?", $0.payload.metric(named: "tasks/completed")?.telemetryValue) },
                                          uniquingKeysWith: { _, last in last })
        #expect(completedByBoard.values.reduce(0) { sum, value in if case .unsigned(let n) = value { sum + n } else { sum } } == 40)
        #expect(boardData.allSatisfy { $0.payload.metric(named: "firmware/version")?.telemetryValue != nil })
        let death = try #require(seen.first { $0.topic.type == .nodeDeath })
        let firstBdSeq = try #require(seen.first?.bdSeq)
        #expect(death.bdSeq == firstBdSeq, "the Will names the birth it ends")

        // The next start: a new bdSeq, and a clean stop says NDEATH itself.
        let again = try ControllerRestartTests.start(config: config, client: client)
        Thread.sleep(forTimeInterval: 1)
        again.terminate()
        again.waitUntilExit()
        let all = subscriber.lines(atLeast: seen.count + 8, within: 10).compactMap(SparkplugWire.init(line:))
        let nodeLifecycle = all.filter { $0.topic.type == .nodeBirth || $0.topic.type == .nodeDeath }
        #expect(nodeLifecycle.map(\.topic.type) == [.nodeBirth, .nodeDeath, .nodeBirth, .nodeDeath])
        #expect(nodeLifecycle.compactMap(\.bdSeq) == [firstBdSeq, firstBdSeq, (firstBdSeq + 1) % 256, (firstBdSeq + 1) % 256])
    }
}
