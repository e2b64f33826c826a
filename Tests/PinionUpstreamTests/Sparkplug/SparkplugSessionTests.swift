import Foundation
import PinionUpstream
import Synchronization
import Testing

/// The session's stamping rules, without a broker.
@Suite("Sparkplug B session")
struct SparkplugSessionTests {
    let session = SparkplugSession(group: "pinion", node: "gw1", bdSeq: 7, clock: { 1_700_000_000_000 })

    func decode(_ message: WireMessage) throws -> (SparkplugTopic, SparkplugPayload) {
        (try #require(SparkplugTopic(parsing: message.topic)), try SparkplugPayload(serializedBytes: message.payload))
    }

    @Test func birthsStartAtSeqZeroAndCarryTheWillsBdSeq() throws {
        _ = session.deviceAttached("B1", metrics: [TelemetryMetric("temperature/celsius", .double, nil)])
        let will = try decode(session.will)
        #expect(will.0.type == .nodeDeath && will.1.metric(named: "bdSeq")?.telemetryValue == .unsigned(7))
        #expect(!will.1.hasSeq, "NDEATH carries no seq")
        let births = try session.connected().map(decode)
        #expect(births.map(\.0.type) == [.nodeBirth, .deviceBirth])
        #expect(births.map(\.1.seq) == [0, 1])
        #expect(births[0].1.metric(named: "bdSeq")?.telemetryValue == .unsigned(7))
        #expect(births[0].1.metric(named: "Node Control/Rebirth")?.telemetryValue == .bool(false))
        let temperature = try #require(births[1].1.metric(named: "temperature/celsius"))
        #expect(temperature.isNull && temperature.datatype == SparkplugDataType.double)
    }

    @Test func seqWrapsAfter255AndALostConnectionRenewsTheWill() throws {
        _ = session.connected()
        let report = session.report(TelemetryReport(device: nil, timestampMilliseconds: 1, metrics: [TelemetryMetric("tasks/queued", .unsigned(3))]))
        let message = Outbox.Message(id: 1, topic: report.topic, payload: report.payload, createdAt: Date())
        let seqs = try (0..<300).map { _ in try decode(session.prepare(message, connectedAt: .distantPast).message).1.seq }
        #expect(Array(seqs.prefix(3)) == [1, 2, 3])
        #expect(seqs[254] == 255 && seqs[255] == 0 && seqs[256] == 1)
        let will = try decode(try #require(session.disconnected()))
        #expect(will.1.metric(named: "bdSeq")?.telemetryValue == .unsigned(8))
        #expect(try decode(session.connected()[0]).1.metric(named: "bdSeq")?.telemetryValue == .unsigned(8))
    }

    @Test func dataHeldBackByAnOutageIsHistoricalAndAGoneBoardIsBornAndBuriedAroundIt() throws {
        _ = session.deviceAttached("B1", metrics: [TelemetryMetric("power/watts", .double(1.5))])
        let report = session.report(TelemetryReport(device: "B1", timestampMilliseconds: 5, metrics: [TelemetryMetric("power/watts", .double(2.5))]))
        _ = session.deviceDetached("B1")
        let connectedAt = Date()
        _ = session.connected()
        let prepared = session.prepare(Outbox.Message(id: 1, topic: report.topic, payload: report.payload, createdAt: connectedAt - 60),
                                       connectedAt: connectedAt)
        let sequence = try (prepared.before + [prepared.message] + prepared.after).map(decode)
        #expect(sequence.map(\.0.type) == [.deviceBirth, .deviceData, .deviceDeath])
        #expect(sequence.map(\.1.seq) == [1, 2, 3])
        #expect(sequence[1].1.metrics.allSatisfy { $0.isHistorical })
        // Data names each metric by the alias its birth gave it, and only by that.
        let declared = try #require(sequence[0].1.metric(named: "power/watts"))
        #expect(declared.hasAlias)
        #expect(sequence[1].1.metrics.map(\.hasName) == [false])
        #expect(sequence[1].1.metrics.first { $0.alias == declared.alias }?.telemetryValue == .double(2.5))
    }

    @Test func rebirthCommandRepeatsTheBirths() throws {
        _ = session.deviceAttached("B1", metrics: [])
        _ = session.connected()
        var command = SparkplugPayload(metrics: [TelemetryMetric("Node Control/Rebirth", .bool(true))], timestampMilliseconds: 1)
        command.seq = 0
        let answer = try session.received(topic: "spBv1.0/pinion/NCMD/gw1", payload: Array(try command.serializedData())).map(decode)
        #expect(answer.map(\.0.type) == [.nodeBirth, .deviceBirth])
        #expect(answer.map(\.1.seq) == [0, 1])
        #expect(session.received(topic: "spBv1.0/pinion/NCMD/other", payload: Array(try command.serializedData())).isEmpty)
    }

    @Test func topicsParseAndIDsAreChecked() {
        #expect(SparkplugTopic(parsing: "spBv1.0/g/DDATA/n/d") == SparkplugTopic(group: "g", type: .deviceData, node: "n", device: "d"))
        #expect(SparkplugTopic(parsing: "spBv1.0/g/NOPE/n") == nil)
        #expect(SparkplugTopic(parsing: "pinion/g/NDATA/n") == nil)
        #expect(SparkplugTopic.problem(withID: "a/b") != nil && SparkplugTopic.problem(withID: "") != nil)
        #expect(SparkplugTopic.problem(withID: "EMU-S-0001") == nil)
    }

    @Test func eachNewBdSeqIsStoredBeforeTheWillThatCarriesItIsHandedBack() throws {
        let stored = Mutex<[UInt64]>([])
        let session = SparkplugSession(group: "pinion", node: "gw1", bdSeq: 254, persistBdSeq: { value in stored.withLock { $0.append(value) } })
        for _ in 0..<3 {
            let will = try decode(try #require(session.disconnected()))
            #expect(stored.withLock { $0.last } == will.1.metric(named: "bdSeq")?.telemetryValue.flatMap { if case .unsigned(let v) = $0 { v } else { nil } })
        }
        #expect(stored.withLock { $0 } == [255, 0, 1])
    }

    @Test func theNodeBirthDeclaresTheNodeMetricsGivenBeforeAnyReport() throws {
        let session = SparkplugSession(group: "pinion", node: "gw1", bdSeq: 0,
                                       nodeMetrics: [TelemetryMetric("tasks/completed", .unsigned(0)), TelemetryMetric("power/watts", .double, nil)])
        let birth = try decode(session.connected()[0]).1
        #expect(birth.metrics.map(\.name) == ["bdSeq", "Node Control/Rebirth", "tasks/completed", "power/watts"])
        #expect(Set(birth.metrics.map(\.alias)).count == 4, "an alias each")
        #expect(birth.metrics.allSatisfy { $0.hasAlias })
    }

    @Test func nothingIsBornUntilThePrimaryHostIsOnlineAndItsOfflineEndsTheNode() throws {
        let session = SparkplugSession(group: "pinion", node: "gw1", bdSeq: 5, primaryHost: "scada")
        #expect(session.subscriptions.contains("spBv1.0/STATE/scada"))
        #expect(session.connected().isEmpty && !session.mayPublish)
        let births = try session.received(topic: "spBv1.0/STATE/scada", payload: Array(#"{"online":true,"timestamp":10}"#.utf8)).map(decode)
        #expect(births.map(\.0.type) == [.nodeBirth] && session.mayPublish)
        #expect(session.received(topic: "spBv1.0/STATE/scada", payload: Array(#"{"online":false,"timestamp":9}"#.utf8)).isEmpty,
                "an offline older than the online is stale")
        let death = try session.received(topic: "spBv1.0/STATE/scada", payload: Array(#"{"online":false,"timestamp":11}"#.utf8)).map(decode)
        #expect(death.map(\.0.type) == [.nodeDeath] && !session.mayPublish)
        #expect(death.first?.1.metric(named: "bdSeq")?.telemetryValue == .unsigned(5))
    }
}

@Suite("MQTT topic filters")
struct MQTTTopicFilterTests {
    @Test(arguments: [
        ("jobs/digits", "jobs/digits", true), ("jobs/+", "jobs/digits", true), ("jobs/#", "jobs/a/b", true), ("#", "a", true),
        ("$share/g/jobs/+", "jobs/x", true), ("jobs/+", "jobs/a/b", false), ("jobs", "jobs/a", false), ("+/x", "$SYS/x", false),
        ("#", "$SYS/broker", false), ("jobs/digits", "jobs/digit", false),
    ])
    func matches(filter: String, topic: String, expected: Bool) {
        #expect(MQTTTopicFilter.matches(filter, topic) == expected)
    }
}
