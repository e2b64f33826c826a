import ArgumentParser
import Foundation
import PinionBenchmarks
import PinionTestSupport

/// `pinion-bench fleet`: gateways sharing one task stream through an MQTT 5 shared subscription on
/// one mosquitto (see `FleetRun`). By default the throughput of fleets of 1, 2 and 4 gateways,
/// one after the other in one run, and how it scales; `--short` is CI's checked fault run (4
/// gateways, 400 tasks, each gateway killed -9 once, the broker restarted once). Every run ends
/// with its checks; a failed check makes the command fail.
struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Gateways on one broker taking tasks through a shared subscription: throughput for 1, 2, 4 gateways, or (--short) the checked fault run.")

    @Option(help: "The pinion executable.") var pinion = ".build/release/pinion"
    @Flag(help: "CI's form: 4 gateways, 400 tasks, one kill -9 per gateway, one broker restart, checked.") var short = false
    @Option(help: "Fleet sizes to measure, one after the other.") var gateways: [Int] = [1, 2, 4]
    @Option(help: "Tasks per fleet.") var tasks = 5_000
    @Option(help: "kill -9 of each gateway per fleet (0 for a throughput figure undisturbed).") var killsPerGateway = 0
    @Option(help: "Restarts of the broker per fleet.") var brokerRestarts = 0
    @Option(help: "Seconds before an unanswered task is sent again.") var retryAfter = 10.0
    @Option(help: "Seed that places the faults.") var seed: UInt64 = 1

    func run() throws {
        guard MosquittoBroker.available() else { throw ValidationError("needs /usr/sbin/mosquitto (apt-get install mosquitto)") }
        guard FileManager.default.isExecutableFile(atPath: pinion) else {
            throw ValidationError("no pinion executable at \(pinion): build it first or pass --pinion")
        }
        var plans: [FleetRun.Plan] = []
        if short {
            var plan = FleetRun.Plan()
            plan.seed = seed
            plans = [plan]
        } else {
            for size in gateways {
                var plan = FleetRun.Plan()
                plan.gateways = size
                plan.tasks = tasks
                plan.batch = 100
                plan.pauseSeconds = killsPerGateway + brokerRestarts > 0 ? 0.05 : 0
                plan.killsPerGateway = killsPerGateway
                plan.brokerRestarts = brokerRestarts
                plan.retryAfterSeconds = retryAfter
                plan.deadlineSeconds = 600
                plan.seed = seed
                plans.append(plan)
            }
        }
        var rates: [(Int, Double)] = []
        var failed = 0
        for plan in plans {
            print("fleet: \(plan.gateways) gateway\(plan.gateways == 1 ? "" : "s") (pinion run --simulate, each its own state), one mosquitto, \(plan.tasks) tasks in batches of \(plan.batch); "
                  + "\(plan.killsPerGateway) kill -9 per gateway, \(plan.brokerRestarts) broker restarts; retry after \(fixed(plan.retryAfterSeconds)) s")
            let outcome: FleetRun.Outcome
            do {
                outcome = try FleetRun(pinion: URL(fileURLWithPath: pinion), plan: plan) { print($0) }.run()
            } catch {
                print("fleet: FAILED: \(error)")
                failed += 1
                continue
            }
            print("  tasks \(outcome.tasks), answered \(outcome.answeredTasks) in \(fixed(outcome.seconds, 2)) s = \(fixed(outcome.tasksPerSecond, 1)) tasks/s at the requester; "
                  + "retries \(outcome.retries), kills \(outcome.kills), broker restarts \(outcome.brokerRestarts)")
            print("  answers \(outcome.answers): duplicates from the same gateway (its journal's result sent again) \(outcome.duplicatesFromSameGateway), "
                  + "by another gateway \(outcome.duplicatesFromOtherGateways); tasks computed on two gateways (once each) \(outcome.computedOnTwoOrMore)")
            for (index, gateway) in outcome.gateways.enumerated() {
                print("  gateway \(index) \(gateway.key.prefix(16))…: \(gateway.starts) starts, answered \(gateway.answered), receipts \(gateway.receipts) "
                      + "(\(gateway.computedTwice) ids twice), ledger \(gateway.ledgerEntries) entries, \(gateway.verifiedFromBroker) verified from the broker")
            }
            for check in outcome.checks { print("  \(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)") }
            let bad = outcome.checks.filter { !$0.passed }.count
            failed += bad
            print("  \(outcome.checks.count - bad) passed, \(bad) failed")
            rates.append((plan.gateways, outcome.tasksPerSecond))
        }
        if let one = rates.first(where: { $0.0 == 1 })?.1, one > 0, rates.count > 1 {
            print("fleet throughput: " + rates.map { "N = \($0.0): \(fixed($0.1, 1)) tasks/s (\(fixed($0.1 / one, 2))x)" }.joined(separator: ", "))
        }
        if failed > 0 { throw ExitCode.failure }
    }
}
