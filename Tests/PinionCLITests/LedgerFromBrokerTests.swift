import Foundation
import PinionFirmware
import PinionLedger
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// `pinion ledger verify --from-broker`: an auditor's persistent session collects what a gateway
/// published while it was away, checks the chain, and names a tampered entry.
@Suite("pinion ledger verify --from-broker (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct LedgerFromBrokerTests {
    @Test func anAuditorsSessionGetsWhatWasPublishedMeanwhileAndNamesATamperedEntry() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-broker-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("pinion.toml")
        try "[upstream]\nhost = \"127.0.0.1\"\nport = \(broker.port)\ntopic_prefix = \"audit\"\n".write(to: config, atomically: true, encoding: .utf8)
        let verify = ["ledger", "verify", "--from-broker", "--config", config.path, "--session", "auditor-1", "--wait", "1"]
        func run() async throws -> PinionProcess.Outcome { try await BlockingCall.run("pinion ledger verify") { try PinionProcess.run(verify) } }

        // The auditor's first run opens its session; nothing has been published yet.
        let first = try await run()
        #expect(first.status != 0)
        #expect(first.stderr.contains("no ledger entries arrived"), "\(first.stderr)")

        // A gateway writes and publishes 30 entries while the auditor is away.
        let key = FirmwareSigningKey.generate(name: "gateway")
        let ledgerPath = directory.appendingPathComponent("ledger.jsonl").path
        let ledger = try GatewayLedger(path: ledgerPath, identity: key)
        var entries: [LedgerEntry] = []
        for index in 0..<30 {
            entries.append(try await ledger.append(.receipt(ComputeReceipt(
                task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64), inputSHA256: String(repeating: "b", count: 64),
                outputSHA256: String(repeating: "c", count: 64), board: "EMU-S-0001", startMs: Int64(index), endMs: Int64(index) + 2, microjoules: 300))))
        }
        let topic = "audit/\(key.publicKey.hex)/ledger"
        // Entry 5 twice, as QoS 1 may deliver it.
        try await Self.publish(entries.map(\.line) + [entries[5].line], topic: topic, port: broker.port)

        let second = try await run()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\(topic): ok: 30 entries seq 0…29 (30 compute receipts, 0 energy reports) signed by gateway \(key.publicKey.hex); 1 duplicate delivery (QoS 1) dropped"),
                "\(second.stdout)")

        // The same gateway key signs a second history from here (equivocation).
        let forkPath = directory.appendingPathComponent("fork.jsonl").path
        try FileManager.default.copyItem(atPath: ledgerPath, toPath: forkPath)
        let fork = try GatewayLedger(path: forkPath, identity: key)
        let otherHistory = try await fork.append(.receipt(ComputeReceipt(
            task: "other", model: "digits", modelSHA256: String(repeating: "a", count: 64), inputSHA256: String(repeating: "b", count: 64),
            outputSHA256: String(repeating: "d", count: 64), board: "EMU-S-0001", startMs: 30, endMs: 32, microjoules: 300)))
        // Then two more entries, the first of them altered on the way.
        for index in 30..<32 {
            entries.append(try await ledger.append(.receipt(ComputeReceipt(
                task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64), inputSHA256: String(repeating: "b", count: 64),
                outputSHA256: String(repeating: "c", count: 64), board: "EMU-S-0001", startMs: Int64(index), endMs: Int64(index) + 2, microjoules: 300))))
        }
        var tampered = entries[30]
        tampered.payload = tampered.payload.replacingOccurrences(of: "\"microjoules\":300", with: "\"microjoules\":3")
        #expect(tampered.payload != entries[30].payload)
        try await Self.publish([tampered.line, entries[31].line], topic: topic, port: broker.port)
        let third = try await run()
        #expect(third.status != 0)
        #expect(third.stderr.contains("\(topic): entry 0: its payload does not hash to its hash (the entry was altered) (seq 30)"), "\(third.stderr)")

        // Seq 30 of each history, both signed by the gateway: named as an equivocation.
        try await Self.publish([entries[30].line, otherHistory.line], topic: topic, port: broker.port)
        let fourth = try await run()
        #expect(fourth.status != 0)
        #expect(fourth.stderr.contains("\(topic): entry 1: equivocation at seq 30: two different entries signed by \(key.publicKey.hex)"), "\(fourth.stderr)")
    }

    /// Publishes QoS 1 and waits for every PUBACK.
    private static func publish(_ payloads: [[UInt8]], topic: String, port: Int) async throws {
        let client = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: port, clientID: "gw-\(UUID().uuidString.prefix(8))"))
        let acknowledged = Atomic<Int>(0)
        client.onEvent { if case .acknowledged = $0 { acknowledged.add(1, ordering: .relaxed) } }
        for _ in 0..<300 where !client.isConnected { try await Task.sleep(for: .milliseconds(10)) }
        for payload in payloads { _ = try client.publish(topic: topic, payload: payload) }
        for _ in 0..<500 where acknowledged.load(ordering: .relaxed) < payloads.count { try await Task.sleep(for: .milliseconds(10)) }
        #expect(acknowledged.load(ordering: .relaxed) == payloads.count)
        client.disconnect()
    }
}
