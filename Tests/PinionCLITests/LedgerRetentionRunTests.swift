import Foundation
import PinionSystem
import PinionTestSupport
import Testing

/// `[ledger] retention_s` in `pinion run`: closed segments whose entries the broker acknowledged
/// are deleted once old enough, and `pinion ledger verify` still passes on what is left; without
/// `[upstream]` nothing is deleted.
@Suite("pinion run: ledger retention")
struct LedgerRetentionRunTests {
    typealias Startup = LedgerStartupTests

    static func setLedgerKeys(_ gateway: TestGateway, _ keys: String) throws {
        let config = try String(contentsOf: gateway.config, encoding: .utf8)
            .replacingOccurrences(of: "path = \"\(gateway.ledger)\"", with: "path = \"\(gateway.ledger)\"\n\(keys)")
        try config.write(to: gateway.config, atomically: true, encoding: .utf8)
    }

    static func closedSegments(_ gateway: TestGateway) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: gateway.ledger + ".segments")) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
    }

    /// 20 tasks in 5 batches, each batch's receipts written (a second after its results) before
    /// the next: appends of ~3 KB, so segments of 4 KiB are closed.
    static func submitInAppends(_ run: Startup.Running, prefix: String) throws {
        for batch in 0..<5 {
            try run.submit((0..<4).map { "\(prefix)\(batch)-\($0)" })
            Thread.sleep(forTimeInterval: 1.6)
        }
    }

    @Test(.enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed"))
    func acknowledgedOldSegmentsAreDeletedAndTheRestVerifies() async throws {
        try await BlockingCall.run("ledger retention") {
            let broker = try MosquittoBroker()
            let gateway = try TestGateway("retention", upstream: (broker.port, "topic_prefix = \"gw-ret\""))
            defer { gateway.remove() }
            try Self.setLedgerKeys(gateway, "segment_max_bytes = 4096\nretention_s = 1")
            let subscriber = try Subscriber(port: broker.port, topic: "gw-ret/+/ledger", clientID: "sub-\(UUID().uuidString.prefix(8))")
            Thread.sleep(forTimeInterval: 0.3)
            let first = try Startup.Running(gateway)
            try Self.submitInAppends(first, prefix: "r")
            // Every entry reached the broker, so the outbox had its PUBACKs.
            #expect(subscriber.lines(atLeast: 20, within: 30).count >= 20)
            Thread.sleep(forTimeInterval: 1)
            first.stop()
            let before = Self.closedSegments(gateway)
            #expect(before.count >= 2, "\(before)")
            // More than retention_s later: the next start deletes every closed segment (all acknowledged).
            Thread.sleep(forTimeInterval: 1.2)
            let second = try Startup.Running(gateway)
            try Startup.waitUntil("the closed segments deleted") { Self.closedSegments(gateway).isEmpty }
            Thread.sleep(forTimeInterval: 0.3)
            second.stop()
            let log = second.log()
            let deletions = log.split(separator: "\n").filter { $0.contains("ledger: deleted segment ") && $0.contains("acknowledged upstream") }
            #expect(deletions.count == before.count, "\(log)")
            #expect(deletions.first?.contains("deleted segment 0…") == true, "\(log)")
            let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
            #expect(verify.status == 0 && verify.stdout.contains("from the checkpoint of seq"), "\(verify.stdout)\(verify.stderr)")
            #expect(!verify.stdout.contains("seq 0…"), "\(verify.stdout)")
        }
    }

    @Test func withoutUpstreamNothingIsDeleted() throws {
        let gateway = try TestGateway("retention-local")
        defer { gateway.remove() }
        try Self.setLedgerKeys(gateway, "segment_max_bytes = 4096\nretention_s = 1")
        let first = try Startup.Running(gateway)
        try Self.submitInAppends(first, prefix: "l")
        first.stop()
        let before = Self.closedSegments(gateway)
        #expect(before.count >= 2, "\(before)")
        Thread.sleep(forTimeInterval: 1.2)
        let log = try Startup.runTasks(gateway, ids: ["l-last"])
        #expect(log.contains("there is no [upstream]: nothing is acknowledged, so closed segments are kept"), "\(log)")
        #expect(!log.contains("deleted segment"), "\(log)")
        #expect(Set(Self.closedSegments(gateway)).isSuperset(of: before))
        let verify = try PinionProcess.run(["ledger", "verify", gateway.ledger])
        #expect(verify.status == 0 && verify.stdout.contains("ok: 21 entries seq 0…20"), "\(verify.stdout)\(verify.stderr)")
    }
}
