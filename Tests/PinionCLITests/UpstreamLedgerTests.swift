import Foundation
import PinionController
import PinionLedger
import PinionModels
import PinionSystem
import PinionTestSupport
import Testing

/// `pinion run` with an `[upstream]` broker: its signed ledger arrives there, entry by entry, and
/// verifies.
@Suite("pinion run: ledger published upstream (real mosquitto)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct UpstreamLedgerTests {
    @Test func receiptsArriveAtTheBrokerAndVerify() async throws {
        try await BlockingCall.run("upstream scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let broker = try MosquittoBroker()
        let gateway = try TestGateway("upstream", upstream: (broker.port, "topic_prefix = \"gw-test\""))
        defer { gateway.remove() }
        let subscriber = try Subscriber(port: broker.port, topic: "gw-test/+/ledger", clientID: "sub-\(UUID().uuidString.prefix(8))")
        Thread.sleep(forTimeInterval: 0.3)
        let client = gateway.client
        let config = gateway.config
        let process = try ControllerRestartTests.start(config: config, client: client)
        defer { process.terminate(); process.waitUntilExit() }
        let split = try DigitsDataset.testSplit()
        _ = try client.post("/v1/tasks", SubmitRequest(tasks: (0..<20).map { SubmitRequest.Task(id: "u\($0)", model: "digits", input: split[$0].input.map(Int.init)) }),
                            as: SubmitResponse.self)
        try ControllerRestartTests.waitFor(client, done: 20)
        // Receipts are written a second after each result, then published.
        let lines = subscriber.lines(atLeast: 20, within: 20)
        let entries = try lines.map { line -> LedgerEntry in
            let json = String(line.split(separator: " ", maxSplits: 1).last ?? "")
            return try JSONDecoder().decode(LedgerEntry.self, from: Data(json.utf8))
        }
        #expect(entries.count >= 20)
        let summary = try LedgerVerifier.verify(Array(entries.prefix(20)))
        #expect(summary.receipts == 20)
        #expect(lines.allSatisfy { $0.hasPrefix("gw-test/\(summary.gateway ?? "?")/ledger ") })
    }
}
