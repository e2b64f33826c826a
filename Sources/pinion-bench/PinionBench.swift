import ArgumentParser
import PinionBenchmarks
import PinionBoards
import PinionScheduler

/// `pinion-bench`: Pinion's benchmarks that need no lab. They print figures; they judge nothing.
/// Started by `PinionBenchMain`.
struct PinionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinion-bench",
        abstract: "Print Pinion's benchmark figures (energy error against sampling rate, sampler CPU cost).",
        subcommands: [EnergyBench.self, SamplerBench.self, SchedulerThroughputBench.self, PriorityBench.self, UtilisationBench.self, PolicyBench.self,
                      LedgerBench.self, LedgerAppendBench.self, LedgerVerifyBench.self, JournalCommand.self, IdleCommand.self, FaultCampaignCommand.self, FleetCommand.self])
}

/// Energy error against sampling rate on emulated boards with exact ground truth.
struct EnergyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "energy", abstract: "Energy error against sampling rate (1, 10, 100, 1000 Hz) over emulated time.")

    @Option(help: "Seconds of emulated time per run.") var seconds = 60.0
    @Option(help: "Random load profiles (seeds 1…N) per rate.") var profiles = 5

    func run() throws {
        print("energy error vs sampling rate: \(profiles) random load profiles of \(Int(seconds)) s emulated time each")
        print("(board 4 W idle / 15 W active, load changes every 1.5 s on average, 0.3 W noise; INA226 0.01 Ω, 12 V)")
        print("rate      INA226 trapezoid: mean error   max error    INA228 accumulator: max error")
        for hertz in [1.0, 10, 100, 1000] {
            var trapezoid: [Double] = []
            var accumulator: [Double] = []
            for seed in 1...UInt64(profiles) {
                trapezoid.append(try EnergyRun(chip: .ina226, seed: seed, hertz: hertz, seconds: seconds).relativeError)
                accumulator.append(try EnergyRun(chip: .ina228, seed: seed, hertz: hertz, seconds: seconds).relativeError)
            }
            let mean = trapezoid.reduce(0, +) / Double(trapezoid.count)
            print(pad("\(Int(hertz)) Hz", 10) + pad(percent(mean), 31) + pad(percent(trapezoid.max()!), 13) + percent(accumulator.max()!))
        }
        print("goal: within 0.5 % at 100 Hz")
    }
}

/// CPU cost of sampling four power monitors at 100 Hz.
struct SamplerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampler", abstract: "CPU cost of a sampler reading 4 power monitors (emulated bus, real clock).")

    @Option(help: "Seconds to sample.") var seconds = 10.0
    @Option(help: "Reads per second per sensor.") var hertz = 100.0

    func run() throws {
        let run = try SamplerCostRun(hertz: hertz, seconds: seconds)
        print("sampler: \(run.sensors) power monitors at \(Int(hertz)) Hz for \(fixed(run.wallSeconds)) s: \(run.samples) samples "
              + "(\(fixed(Double(run.samples) / run.wallSeconds)) per second), CPU \(fixed(run.cpuSeconds, 3)) s "
              + "= \(percent(run.coreFraction)) of one core, emulated chips included (goal: under 2 %)")
    }
}

func percent(_ fraction: Double) -> String { fixed(fraction * 100, 3) + " %" }

func fixed(_ value: Double, _ places: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (value * scale).rounded() / scale
    return "\(scaled)"
}

func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }

/// Scheduler throughput with zero-compute models, and how it scales with boards.
struct SchedulerThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput", abstract: "Tasks per second through the scheduler to emulated boards with a zero-compute model.")

    @Option(help: "Tasks to run.") var tasks = 100_000
    @Option(help: "Emulated boards.") var boards = 4
    @Flag(help: "Print the scaling table instead: 1, 2, 4 and 8 boards, zero-compute and board-limited.") var scaling = false
    @Option(help: "With --scaling: seconds each board takes per task in the board-limited runs.") var boardSeconds = 0.001

    func run() async throws {
        guard scaling else {
            let run = try await ThroughputRun(tasks: tasks, boards: boards)
            print("scheduler throughput: \(run.tasks) zero-compute tasks on \(boards) emulated boards in \(fixed(run.seconds, 3)) s = "
                  + "\(Int(run.tasksPerSecond)) tasks/s (goal >= 40000 with 4); CPU \(fixed(run.cpuMicrosecondsPerTask, 1)) µs per task "
                  + "(goal <= 25), host and emulated boards together (journaled, over the board protocol)")
            return
        }
        print("scheduler scaling: journaled, over the board protocol; zero-compute: \(tasks) tasks (the host is the limit); "
              + "board-limited: each board \(fixed(boardSeconds * 1000, 2)) ms per task, one at a time, 2 s of work per board")
        print(pad("boards", 8) + pad("zero-compute tasks/s", 22) + pad("CPU µs/task", 13) + pad("board-limited tasks/s", 23) + "of the boards' limit")
        for count in [1, 2, 4, 8] {
            let host = try await ThroughputRun(tasks: tasks, boards: count)
            let limited = try await ThroughputRun(tasks: Int(2 / boardSeconds) * count, boards: count, boardSecondsPerTask: boardSeconds)
            print(pad("\(count)", 8) + pad("\(Int(host.tasksPerSecond))", 22) + pad(fixed(host.cpuMicrosecondsPerTask, 1), 13)
                  + pad("\(Int(limited.tasksPerSecond))", 23) + percent(limited.tasksPerSecond / limited.boardLimit))
        }
    }
}

/// Distinct priorities against one priority, side by side on one scheduler.
struct PriorityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "priorities", abstract: "Tasks with one priority, then each with its own, then ordinary ones, through one scheduler.")

    @Option(help: "Tasks in each of the first two phases.") var tasks = 20_000
    @Option(help: "Ordinary tasks afterwards.") var after = 5_000

    func run() async throws {
        let run = try await PriorityRun(tasks: tasks, after: after)
        for phase in run.phases {
            print("priorities: \(pad(phase.name + ":", 22))\(phase.tasks) zero-compute tasks on 4 emulated boards in \(fixed(phase.seconds, 3)) s")
        }
        print("priorities: priority queues held after the distinct-priority tasks drained: \(run.queuesAfterDistinct)")
    }
}

/// Board utilisation when saturated.
struct UtilisationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "utilisation", abstract: "Board utilisation with more work than 4 emulated boards can do.")

    @Option(help: "Tasks to run.") var tasks = 10_000

    func run() async throws {
        let run = try await UtilisationRun(tasks: tasks)
        let boards = run.perBoard.map { "\($0.0) \(percent($0.1))" }.joined(separator: ", ")
        print("utilisation: \(run.tasks) tasks of a 512x512 dense model (262k MACs) on 2 small (2 ms each) + 2 large (0.5 ms) emulated boards in "
              + "\(fixed(run.seconds, 2)) s: \(boards); mean \(percent(run.mean)) (goal >= 95 %)")
    }
}

/// Energy-aware placement against round-robin and FIFO on unlike boards.
struct PolicyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies", abstract: "Energy per task and latency of the placement policies on a heterogeneous board mix.")

    @Option(help: "Offered load, tasks per second.") var rate = 400.0
    @Option(help: "Seconds per policy.") var seconds = 10.0

    func run() async throws {
        print("placement policies: \(Int(rate)) tasks/s (Poisson) for \(Int(seconds)) s each, a 1024x256 dense model (262k MACs),")
        print("boards (speeds scaled 1/1000 so compute takes board-like milliseconds): fast 1.6e9 MAC/s 2/20 W (0.18 ms/task), "
              + "L 8e8 MAC/s 1.4/6 W (0.35 ms), S 2e8 MAC/s 0.6/1.8 W (1.3 ms), old 1e8 MAC/s 2/10 W (2.6 ms); W idle/active; "
              + "energy from the boards' power models")
        // FIFO fills the first board in attach order, so it runs once per rotation of the order and
        // is reported as the mean; the others do not depend on the order.
        func report(_ name: String, _ runs: [PolicyRun]) -> (joules: Double, p95: Double) {
            let joules = runs.map(\.joulesPerTask).reduce(0, +) / Double(runs.count)
            let p50 = runs.map(\.p50Milliseconds).reduce(0, +) / Double(runs.count)
            let p95 = runs.map(\.p95Milliseconds).reduce(0, +) / Double(runs.count)
            let spread = runs.count > 1 ? " (orders: \(runs.map { fixed($0.joulesPerTask * 1000, 1) }.joined(separator: "/")) mJ)" : ""
            print(pad(name, 14) + "energy \(fixed(joules * 1000, 2)) mJ/task\(spread), latency p50 \(fixed(p50, 2)) ms, p95 \(fixed(p95, 2)) ms; "
                  + "tasks per board \(runs[0].perBoard.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
            return (joules, p95)
        }
        let aware = report("energy-aware", [try await PolicyRun(policy: EnergyAwarePolicy(), tasksPerSecond: rate, seconds: seconds)])
        let roundRobin = report("round-robin", [try await PolicyRun(policy: RoundRobinPolicy(), tasksPerSecond: rate, seconds: seconds)])
        var fifoRuns: [PolicyRun] = []
        for rotation in 0..<PolicyRun.mix.count {
            fifoRuns.append(try await PolicyRun(policy: FIFOPolicy(), tasksPerSecond: rate, seconds: seconds, rotation: rotation))
        }
        let fifo = report("fifo", fifoRuns)
        for (name, other) in [("round-robin", roundRobin), ("fifo", fifo)] {
            print("energy-aware vs \(name): \(fixed((1 - aware.joules / other.joules) * 100, 1)) % less energy per task, "
                  + "p95 \(fixed(aware.p95, 2)) vs \(fixed(other.p95, 2)) ms (goal: >= 15 % less at equal or better p95)")
        }
    }
}
