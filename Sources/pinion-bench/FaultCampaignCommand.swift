import ArgumentParser
import Foundation
import PinionBenchmarks

/// `pinion-bench faults`: the fault campaign (see `FaultCampaign`); prints its counts and one line
/// per check, ending with `N passed, N failed`, and exits non-zero when a check failed.
struct FaultCampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Kill -9, full disk, broker restarts and unplugs under a task stream; then check every task was done once with one receipt.")

    @Option(help: "The pinion executable.") var pinion = ".build/debug/pinion"
    @Option(help: "Tasks to submit.") var tasks = 20_000
    @Option(help: "Tasks per submission.") var batch = 200
    @Option(help: "SIGKILLs of the controller.") var kills = 50
    @Option(help: "Times the state file system is filled (needs root: a tmpfs of its own).") var diskFull = 5
    @Option(help: "Restarts of the MQTT broker.") var brokerRestarts = 3
    @Option(help: "Boards unplugged and plugged back mid-task.") var unplugs = 10
    @Option(help: "Seed that places the faults.") var seed: UInt64 = 1

    func run() throws {
        var plan = FaultCampaign.Plan()
        plan.tasks = tasks
        plan.batch = batch
        plan.kills = kills
        plan.diskFulls = diskFull
        plan.brokerRestarts = brokerRestarts
        plan.unplugs = unplugs
        plan.seed = seed
        print("fault campaign: \(tasks) tasks in batches of \(batch); \(kills) kills, \(diskFull) full disks, \(brokerRestarts) broker restarts, \(unplugs) unplugs; seed \(seed)")
        let executable = URL(fileURLWithPath: pinion)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ValidationError("no pinion executable at \(pinion): build it first or pass --pinion")
        }
        let outcome: FaultCampaign.Outcome
        do {
            outcome = try FaultCampaign(pinion: executable, plan: plan) { print($0) }.run()
        } catch {
            print("fault campaign: FAILED: \(error)")
            print("0 passed, 1 failed")
            throw ExitCode.failure
        }
        print("faults: \(outcome.kills) kills, \(outcome.diskFulls) full disks, \(outcome.brokerRestarts) broker restarts, \(outcome.unplugs) unplugs; "
              + "\(outcome.restarts) controller starts, \(outcome.submissionsRefused) submissions refused or unanswered (sent again), "
              + "\(outcome.ledgerWriteFailures) ledger writes refused by the full disk (retried)")
        print("tasks: \(outcome.accepted) accepted, \(outcome.doneOnce) done, \(outcome.wrongOutputs) wrong outputs; "
              + "receipts: \(outcome.receipts) (\(outcome.duplicateReceipts) duplicate, \(outcome.missingReceipts) missing); "
              + "ledger: \(outcome.ledgerEntries) entries; \(String(format: "%.0f", outcome.seconds)) s")
        for check in outcome.checks {
            print("\(check.passed ? "PASS" : "FAIL") \(check.name): \(check.detail)")
        }
        let failed = outcome.checks.filter { !$0.passed }.count
        print("\(outcome.checks.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
