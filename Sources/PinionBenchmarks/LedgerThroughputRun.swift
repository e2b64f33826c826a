import Foundation
import PinionFirmware
import PinionLedger
import PinionSystem
import PinionTestSupport
import PinionUpstream

/// Signed ledger entries through the whole durable path, as `pinion run` takes them: signed and
/// hash-chained, appended and fsync'd to the ledger file, written to the outbox (SQLite,
/// synchronous=FULL), published QoS 1 to a local mosquitto and deleted on PUBACK. Entries are
/// committed in groups of `batch` (the receipt writer's group commit; 1 = one fsync per entry).
public struct LedgerThroughputRun: Sendable {
    public let entries: Int
    public let batch: Int
    public let seconds: Double
    public var perSecond: Double { Double(entries) / seconds }

    public init(entries: Int, batch: Int, brokerPort: Int) async throws {
        self.entries = entries
        self.batch = batch
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ledger = try GatewayLedger(path: directory.appendingPathComponent("ledger.jsonl").path, identity: FirmwareSigningKey.generate(name: "bench"))
        let outbox = try Outbox(path: directory.appendingPathComponent("outbox.sqlite").path)
        let client = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: brokerPort, clientID: "bench-\(UUID().uuidString.prefix(8))"))
        let publisher = UpstreamPublisher(outbox: outbox, client: client)
        await publisher.start()
        for _ in 0..<500 where !client.isConnected { try await Task.sleep(for: .milliseconds(10)) }
        let topic = "bench/ledger"
        let start = ContinuousClock.now
        var written = 0
        while written < entries {
            let count = min(batch, entries - written)
            let records = (written..<written + count).map { index in
                LedgerRecord.receipt(ComputeReceipt(task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                                    inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                                    board: "EMU-S-0001", startMs: 1_700_000_000_000, endMs: 1_700_000_000_002, microjoules: 1234))
            }
            let appended = try await ledger.append(records)
            try await outbox.enqueue(appended.map { Outbox.Outgoing(topic: topic, payload: $0.line, kind: .ledger, sequence: $0.seq) },
                                     settingMeta: (Outbox.ledgerLastSeq, appended.last?.seq ?? -1))
            await publisher.wake()
            written += count
        }
        while await publisher.published < entries { try await Task.sleep(for: .milliseconds(1)) }
        seconds = (ContinuousClock.now - start).inSeconds
        client.disconnect()
    }
}
