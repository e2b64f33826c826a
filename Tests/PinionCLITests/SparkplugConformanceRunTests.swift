import Foundation
import PinionController
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// `pinion run --simulate` against the Sparkplug B 3.0 assertions (docs/upstream.md's table),
/// through a real mosquitto, read by `mosquitto_sub` (with each delivery's QoS) and decoded by
/// Python's protobuf from Tahu's sparkplug_b.proto, independently of Pinion's own code.
@Suite("pinion run: Sparkplug B 3.0 conformance (real mosquitto)", .serialized,
       .enabled(if: MosquittoBroker.available() && PythonSparkplugDecoder.available,
                "SKIPPED: needs /usr/sbin/mosquitto, mosquitto-clients and python3-protobuf"))
struct SparkplugConformanceRunTests {
    static let keys = """
        telemetry = "sparkplug"
        telemetry_interval_s = 0.5
        group_id = "site-7"
        node_id = "gw-1"
        """

    /// NBIRTH declares every metric NDATA later sends, each with an alias (data: alias only);
    /// births, data and DDEATH go QoS 0; seq counts from 0 in NBIRTH; an unplugged board's DDEATH
    /// and its DBIRTH when plugged back (SIGUSR1, SIGUSR2).
    @Test func birthsDeclareEveryMetricByAliasAtQoS0AndBoardsDieAndAreBornAgain() async throws {
        // Observed in a blocking call, checked here (in the test's own task, where issues are recorded against it).
        let (wires, brokerLog) = try await BlockingCall.run("conformance") {
            let broker = try MosquittoBroker()
            let gateway = try TestGateway("spb-conformance", upstream: (broker.port, Self.keys))
            defer { gateway.remove() }
            let subscriber = try Subscriber(port: broker.port, topic: "spBv1.0/#", clientID: "host-\(UUID().uuidString.prefix(8))", format: "%t %q %x")
            Thread.sleep(forTimeInterval: 0.3)
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            Thread.sleep(forTimeInterval: 2)
            kill(process.processIdentifier, SIGUSR1)
            Thread.sleep(forTimeInterval: 1.5)
            kill(process.processIdentifier, SIGUSR2)
            Thread.sleep(forTimeInterval: 2)
            process.terminate()
            process.waitUntilExit()
            let wires = subscriber.lines(within: 10) { lines in lines.contains { $0.contains("/NDEATH/") } }.compactMap(SparkplugWire.init(line:))
            return (wires, try String(contentsOf: broker.directory.appendingPathComponent("mosquitto.log"), encoding: .utf8))
        }
        // The broker's own word on each CONNECT: "New client connected from … as <id> (p5, c1, k30, …)",
        // c1 a clean session (MQTT 5: Clean Start; Pinion sends no Session Expiry Interval: 0).
        let connects = brokerLog.split(separator: "\n").filter { $0.contains("New client connected") && $0.contains(" as pinion-") }
        #expect(connects.contains { $0.contains("-spb (p5, c1,") }, "the Sparkplug connection is clean: \(connects)")
        #expect(connects.contains { !$0.contains("-spb ") && $0.contains("(p5, c0,") }, "the durable connection keeps its session: \(connects)")
        let decoded = try PythonSparkplugDecoder.inSourceTree().decode(hexes: wires.map(\.hex))
        try #require(wires.first?.topic.type == .nodeBirth, "\(wires)")
        let live = Array(wires.prefix { $0.topic.type != .nodeDeath })
        #expect(live.map(\.payload.seq) == live.indices.map { UInt64($0 % 256) }, "NBIRTH seq 0, then +1: \(live)")

        // Aliases: births name and alias every metric, unique across the node; data by alias only.
        var declared: [String: String] = [:]  // alias -> name
        for (wire, payload) in zip(wires, decoded) where wire.topic.type == .nodeBirth || wire.topic.type == .deviceBirth {
            for metric in payload["metrics"] as? [[String: Any]] ?? [] {
                let name = try #require(metric["name"] as? String, "\(wire): a birth metric without a name")
                let alias = try #require(metric["alias"] as? String, "\(wire): \(name) has no alias")
                let key = "\(wire.topic.device ?? "")/\(name)"
                #expect(declared[alias] == nil || declared[alias] == key, "alias \(alias) is \(declared[alias] ?? "") and \(key)")
                declared[alias] = key
            }
        }
        let nodeBirth = try #require(decoded.first?["metrics"] as? [[String: Any]])
        let nodeBirthNames = Set(nodeBirth.compactMap { $0["name"] as? String })
        #expect(nodeBirthNames.isSuperset(of: ["bdSeq", "Node Control/Rebirth", "pinion/version", "tasks/completed", "boards/attached", "power/watts", "energy/joules"]))
        let nodeData = zip(wires, decoded).filter { $0.0.topic.type == .nodeData }
        #expect(nodeData.count >= 3)
        for (wire, payload) in nodeData {
            for metric in payload["metrics"] as? [[String: Any]] ?? [] {
                #expect(metric["name"] == nil, "\(wire): data carries the alias only")
                let alias = try #require(metric["alias"] as? String, "\(wire): a metric without an alias")
                let name = try #require(declared[alias], "\(wire): alias \(alias) was not born")
                #expect(nodeBirthNames.contains(String(name.dropFirst())), "\(wire): \(name) was not declared in NBIRTH")
            }
        }
        for (wire, payload) in zip(wires, decoded) where wire.topic.type == .deviceData {
            #expect((payload["metrics"] as? [[String: Any]] ?? []).allSatisfy { $0["name"] == nil && $0["alias"] != nil }, "\(wire)")
        }

        // QoS 0 for births, data and device deaths; the NDEATH QoS 1.
        for wire in wires {
            #expect(wire.qos == (wire.topic.type == .nodeDeath ? 1 : 0), "\(wire) came with QoS \(wire.qos.map(String.init) ?? "?")")
        }

        // The unplugged board's DDEATH, then its DBIRTH again.
        let death = try #require(wires.firstIndex { $0.topic.type == .deviceDeath }, "no DDEATH after SIGUSR1: \(wires)")
        let board = try #require(wires[death].topic.device)
        #expect(wires[(death + 1)...].contains { $0.topic.type == .deviceBirth && $0.topic.device == board }, "no DBIRTH of \(board) after SIGUSR2")
        let whileDead = wires[(death + 1)...].prefix { wire in !(wire.topic.type == .deviceBirth && wire.topic.device == board) }
        #expect(!whileDead.contains { wire in wire.topic.type == .deviceData && wire.topic.device == board }, "data of \(board) while it was dead")
    }

    /// A reconnection's bdSeq is stored before its CONNECT: after the broker restarts (a new
    /// connection, bdSeq + 1) and the gateway is killed and started again, the next bdSeq is new.
    /// The second connection's bdSeq is read from its Will (QoS 1): its NBIRTH is QoS 0, which the
    /// broker does not keep for a subscriber that has not reconnected yet.
    @Test func bdSeqIsNeverReusedAfterAReconnectionAndARestart() async throws {
        let wires = try await BlockingCall.run("bdSeq") {
            let broker = try MosquittoBroker()
            let gateway = try TestGateway("spb-bdseq", upstream: (broker.port, Self.keys))
            defer { gateway.remove() }
            let subscriber = try Subscriber(port: broker.port, topic: "spBv1.0/#", clientID: "host-\(UUID().uuidString.prefix(8))", format: "%t %x")
            Thread.sleep(forTimeInterval: 0.3)
            func lifecycle(_ done: @escaping ([SparkplugWire]) -> Bool) -> [SparkplugWire] {
                let keep = { (lines: [String]) in
                    lines.compactMap(SparkplugWire.init(line:)).filter { $0.topic.type == .nodeBirth || $0.topic.type == .nodeDeath }
                }
                return keep(subscriber.lines(within: 45) { done(keep($0)) })
            }
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            _ = lifecycle { !$0.isEmpty }
            broker.stop()
            Thread.sleep(forTimeInterval: 0.5)
            try broker.start()
            // Reconnected once the second NBIRTH is in (the test broker queues QoS 0 for this
            // persistent subscriber, so it is not missed if the gateway is back first).
            _ = lifecycle { $0.filter { $0.topic.type == .nodeBirth }.count >= 2 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let again = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { again.terminate(); again.waitUntilExit() }
            return lifecycle { $0.filter { $0.topic.type == .nodeBirth }.count >= 3 }
        }
        // Every CONNECT carries the next bdSeq (attempts that failed while the broker was down
        // included, which Sparkplug allows), stored before the CONNECT: the reconnection's NBIRTH
        // is above the first, the restart's above the reconnection's — never one used before. (A
        // fresh state starts at 0; these few attempts do not wrap at 256.) The test broker queues
        // QoS 0 for this persistent subscriber, so no NBIRTH is missed.
        let trace = wires.map { "\($0.topic.type.rawValue) \($0.bdSeq ?? 999)" }
        let nodeBirths = wires.filter { $0.topic.type == .nodeBirth }.compactMap(\.bdSeq)
        try #require(nodeBirths.count >= 3, "NBIRTHs of the start, the reconnection and the restart: \(trace)")
        #expect(nodeBirths[1] > nodeBirths[0], "the reconnection's bdSeq: \(trace)")
        #expect(nodeBirths[2] > nodeBirths[1], "the restart's bdSeq after a reconnection: never one used before: \(trace)")
        #expect(Set(nodeBirths).count == nodeBirths.count, "an NBIRTH bdSeq used twice: \(trace)")
        // Each NDEATH seen (a Will) names the bdSeq of a connection born before it.
        for (index, wire) in wires.enumerated() where wire.topic.type == .nodeDeath {
            let bornBefore = wires[..<index].filter { $0.topic.type == .nodeBirth }.compactMap(\.bdSeq)
            #expect(wire.bdSeq.map(bornBefore.contains) == true, "an NDEATH for no connection born before it: \(trace)")
        }
    }

    /// With `sparkplug_primary_host`, nothing is born or published while the host's STATE says
    /// offline; once it says online, births and the reports held back, flagged historical; when it
    /// goes offline again, NDEATH and no more data.
    @Test func birthsAndDataWaitForThePrimaryHostApplication() async throws {
        let (early, online, after) = try await BlockingCall.run("primary host") {
            let broker = try MosquittoBroker()
            let gateway = try TestGateway("spb-state", upstream: (broker.port, Self.keys + "\nsparkplug_primary_host = \"scada-1\""))
            defer { gateway.remove() }
            func state(_ online: Bool, _ timestamp: Int) throws {
                let run = try ProgramRun("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", "spBv1.0/STATE/scada-1", "-q", "1", "-r",
                                                                    "-m", "{\"online\":\(online),\"timestamp\":\(timestamp)}"], mergingErrors: true)
                #expect(run.status == 0, "mosquitto_pub: \(run.stdout)")
            }
            try state(false, 1_000)
            let subscriber = try Subscriber(port: broker.port, topic: "spBv1.0/site-7/#", clientID: "host-\(UUID().uuidString.prefix(8))", format: "%t %x")
            Thread.sleep(forTimeInterval: 0.3)
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { process.terminate(); process.waitUntilExit() }
            Thread.sleep(forTimeInterval: 2.5)
            let early = subscriber.lines(within: 0.2) { _ in false }.compactMap(SparkplugWire.init(line:))
            try state(true, 2_000)
            let online = subscriber.lines(within: 20) { lines in
                lines.compactMap(SparkplugWire.init(line:)).filter { $0.topic.type == .nodeData }.count >= 8
            }.compactMap(SparkplugWire.init(line:))
            try state(false, 3_000)
            _ = subscriber.lines(within: 10) { $0.contains { $0.contains("/NDEATH/") } }
            Thread.sleep(forTimeInterval: 2)
            return (early, online, subscriber.lines(within: 0.2) { _ in false }.compactMap(SparkplugWire.init(line:)))
        }
        #expect(early.isEmpty, "published while the primary host was offline: \(early)")
        try #require(online.first?.topic.type == .nodeBirth, "\(online)")
        let data = online.filter { $0.topic.type == .nodeData }
        let decoded = try PythonSparkplugDecoder.inSourceTree().decode(hexes: data.map(\.hex))
        let historical = decoded.map { ($0["metrics"] as? [[String: Any]] ?? []).allSatisfy { $0["isHistorical"] as? Bool == true } }
        #expect(historical.prefix(3) == [true, true, true], "reports held back while the host was offline are historical: \(historical)")
        #expect(historical.last == false, "live reports are not historical")
        let death = try #require(after.firstIndex { $0.topic.type == .nodeDeath }, "no NDEATH when the primary host went offline")
        #expect(after[death].bdSeq == online.first?.bdSeq)
        #expect(!after[(death + 1)...].contains { $0.topic.type == .nodeData }, "NDATA after the primary host went offline")
    }
}
