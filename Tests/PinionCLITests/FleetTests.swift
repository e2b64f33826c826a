import Foundation
import PinionBenchmarks
import PinionSystem
import PinionTestSupport
import Testing

/// A fleet on one broker (issue #14, item 9): four `pinion run --simulate` gateways take 400
/// tasks through the MQTT 5 shared subscription while each is killed -9 once and started again
/// and the broker is restarted once; a requester sends unanswered tasks again after 5 s. Every
/// task is answered, no gateway computes one id twice, every ledger verifies from the broker.
@Suite("fleet: 4 gateways on one mosquitto, kills and a broker restart (real processes)",
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct FleetTests {
    @Test func everyTaskIsAnsweredOnceAcrossKillsAndABrokerRestart() async throws {
        let outcome = try await BlockingCall.run("fleet run") {
            try FleetRun(pinion: PinionProcess.executable, plan: FleetRun.Plan()) { print($0) }.run()
        }
        print("fleet: \(outcome.tasks) tasks, \(outcome.retries) retries, \(outcome.kills) kills, \(outcome.brokerRestarts) broker restarts, "
              + "\(outcome.answers) answers (\(outcome.duplicatesFromSameGateway) duplicates from the same gateway: its journal's result sent again, "
              + "\(outcome.duplicatesFromOtherGateways) from another gateway), \(outcome.computedOnTwoOrMore) tasks computed on two gateways, "
              + "\(String(format: "%.1f", outcome.seconds)) s")
        for check in outcome.checks {
            #expect(check.passed, "\(check.name): \(check.detail)")
        }
        #expect(outcome.checks.count == 8)
        #expect(outcome.kills == 4 && outcome.brokerRestarts == 1)
        #expect(outcome.gateways.count == 4 && outcome.gateways.allSatisfy { $0.starts == 2 && $0.answered > 0 })
    }
}
