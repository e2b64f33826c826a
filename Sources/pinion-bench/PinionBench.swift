import ArgumentParser
import PinionBenchmarks
import PinionBoards

/// `pinion-bench`: Pinion's benchmarks that need no lab. They print figures; they judge nothing.
@main
struct PinionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinion-bench",
        abstract: "Print Pinion's benchmark figures (energy error against sampling rate, sampler CPU cost).",
        subcommands: [EnergyBench.self, SamplerBench.self, SchedulerThroughputBench.self, UtilisationBench.self])
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

/// Scheduler throughput with zero-compute models.
struct SchedulerThroughputBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput", abstract: "Tasks per second through the scheduler to 4 emulated boards with a zero-compute model.")

    @Option(help: "Tasks to run.") var tasks = 100_000

    func run() async throws {
        let run = try await ThroughputRun(tasks: tasks)
        print("scheduler throughput: \(run.tasks) zero-compute tasks on 4 emulated boards in \(fixed(run.seconds, 3)) s = "
              + "\(Int(run.tasksPerSecond)) tasks/s (goal >= 20000); CPU \(fixed(run.cpuMicrosecondsPerTask, 1)) µs per task, "
              + "host and emulated boards together (journaled, over the board protocol)")
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
