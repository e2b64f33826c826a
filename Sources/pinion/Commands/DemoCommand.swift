import ArgumentParser
import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionSensors
import PinionSystem

/// `pinion demo`: the controller on the simulated gateway, classifying a stream of handwritten
/// digits on its emulated NPU boards, then the figures.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run digit classification on the simulated gateway's emulated boards and print throughput, accuracy, latency and energy.")

    @Option(help: "Tasks to run (the 540 test images, over and over).") var tasks = 2000
    @Option(help: ArgumentHelp("Tasks per second offered (0: all at once).", valueName: "rate")) var rate = 500.0
    @Option(help: "Placement policy: \(PlacementPolicies.names.joined(separator: ", ")).") var policy = "energy-aware"
    @Option(name: .customLong("boards"), help: ArgumentHelp("Board catalogue directory.", valueName: "dir")) var boardsDirectory: String?

    func validate() throws {
        guard SchedulerSettings.policies.contains(policy) else { throw ValidationError("--policy: one of \(SchedulerSettings.policies.joined(separator: ", "))") }
        guard tasks > 0 else { throw ValidationError("--tasks must be positive") }
    }

    func run() async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: boardsDirectory))
        // The boards' power models and the samplers share one clock: a sample's time is the
        // models' time, so the truth is taken over exactly the window the samplers measured.
        let clock = MonotonicSamplerClock()
        let gateway = SimulatedGateway(catalogue: catalogue, clock: { clock.now() })
        defer { gateway.shutdown() }
        var configuration = try SimulatedGatewayConfiguration.load()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        configuration.scheduler.journal = directory.appendingPathComponent("journal.sqlite").path
        configuration.scheduler.policy = policy

        // The same parts as `pinion run`'s daemon, driven directly: sampling starts at once, before the journal is opened.
        let parts = try await ControllerDaemon.Parts.assemble(configuration, buses: gateway.i2c, host: gateway.usb, catalogue: catalogue, clock: clock,
                                                              boardLogger: Logger(label: "pinion.demo") { _ in LineLogHandler(json: false) },
                                                              samplingBuilt: { $0.start() })
        let core = parts.core
        let meter = parts.meter
        for device in try BoardInventory(catalogue: catalogue).scan(gateway.usb, includeUnknown: false) {
            await parts.linker.handle(.attached(device))
        }
        let learner = Task { await parts.feedback.run(every: .milliseconds(500)) }
        defer { learner.cancel() }
        let boards = await core.scheduler.status().boards.map(\.serial)
        print("demo: \(tasks) digit classifications on \(boards.joined(separator: ", ")), \(policy) placement, "
              + (rate > 0 ? "\(Int(rate)) tasks/s offered" : "all at once"))

        let split = try DigitsDataset.testSplit()
        let began = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: (Double, Bool, String).self) { group in
            for index in 0..<tasks {
                if rate > 0 {
                    let due = began + .seconds(Double(index) / rate)
                    if due > .now { try await Task.sleep(until: due) }
                }
                let sample = split[index % split.count]
                let task = InferenceTask(id: "demo-\(index)", model: "digits", input: sample.input.map { UInt8(bitPattern: $0) })
                let submitted = ContinuousClock.now
                _ = try await core.scheduler.submit([task])
                group.addTask {
                    let record = try await core.scheduler.result(of: task.id)
                    let output = record.result?.output.map { Int8(bitPattern: $0) } ?? []
                    return ((ContinuousClock.now - submitted).inSeconds, Int8Interpreter.argmax(output) == sample.label, record.result?.board ?? "")
                }
            }
            var all: [(Double, Bool, String)] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let elapsed = (ContinuousClock.now - began).inSeconds
        await parts.sampling.stop()
        await parts.linker.closeAll()

        let latencies = outcomes.map(\.0).sorted()
        let correct = outcomes.filter(\.1).count
        func milliseconds(_ q: Double) -> String { String(format: "%.2f ms", latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] * 1000) }
        print(String(format: "throughput: %.0f tasks/s (%d in %.2f s)", Double(tasks) / elapsed, tasks, elapsed))
        print(String(format: "accuracy: %.2f %% (%d of %d; the model's accuracy on this split is 97.59 %%)", Double(correct) * 100 / Double(tasks), correct, tasks))
        print("latency, submit to recorded result: p50 \(milliseconds(0.5)), p95 \(milliseconds(0.95)), p99 \(milliseconds(0.99))")
        let perBoard = Dictionary(grouping: outcomes, by: \.2).mapValues(\.count)
        print("tasks per board: " + perBoard.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let ledger = meter.ledger
        let checks = meter.rails.compactMap { rail -> SampledEnergyCheck? in
            guard let board = parts.railBoards.board(of: rail.source), let model = gateway.powerModels[board] else { return nil }
            return SampledEnergyCheck(board: board, rail: rail, model: model)
        }
        for check in checks.sorted(by: { $0.board < $1.board }) {
            let count = perBoard[check.board] ?? 0
            let active = (ledger.perBoard[check.board] ?? 0) - (ledger.idlePerBoard[check.board] ?? 0)
            print(String(format: "energy %@ (rail monitor %@): %.4f J measured, truth %.4f J over the same %.3f s sampled: error %+.2f %%; %.3f J while running tasks%@",
                         check.board, check.method(powerHertz: configuration.sampling.powerHertz), check.measured, check.truth,
                         check.rail.coveredSeconds, check.errorPercent, active,
                         count > 0 ? String(format: " = %.2f mJ per inference", active / Double(count) * 1000) : ""))
        }
    }

}
