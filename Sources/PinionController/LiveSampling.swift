import PinionI2C
import PinionSensors
import PinionSystem
import ServiceLifecycle
import Synchronization

/// The gateway's sensor sampling as the running controller has it: one `BusSampler` per bus,
/// built from the configuration's `[sampling]` and `[[sensors]]`, which a reload (SIGHUP)
/// replaces without stopping the controller.
///
/// As a `Service` it starts the samplers and, at graceful shutdown, stops them. `apply(_:)`
/// builds the new samplers first, then stops the old ones (each within about 100 ms) and starts
/// the new: the energy meter sees at most that long without samples, within its gap limit.
public final class LiveSampling: Service, Sendable {
    private let buses: any I2CBusProvider
    private let clock: any SamplerClock
    private let sink: any SamplerSink
    private let railBoards: RailBoards
    private let state: Mutex<State>

    private struct State {
        var samplers: [BusSampler]
        var plan: SamplingPlan
        var running = false
        var stopped = false
    }

    /// Builds the samplers for `configuration`; `problems` has one line per sensor left out
    /// (its bus would not open, or its entry cannot be driven).
    /// - Parameter railBoards: updated with the sensors' boards at each `apply(_:)`.
    public init(_ configuration: GatewayConfiguration, buses: any I2CBusProvider, clock: any SamplerClock,
                sink: any SamplerSink, railBoards: RailBoards) {
        self.buses = buses
        self.railBoards = railBoards
        self.clock = clock
        self.sink = sink
        let (samplers, problems) = SensorSampling.samplers(for: configuration, buses: buses, clock: clock, sink: sink)
        state = Mutex(State(samplers: samplers, plan: configuration.sampling))
        initialProblems = problems
    }

    /// The sensors left out at start, one line each.
    public let initialProblems: [String]

    /// The samplers running now (or about to).
    public var samplers: [BusSampler] { state.withLock { $0.samplers } }

    /// The sampling rates in force.
    public var plan: SamplingPlan { state.withLock { $0.plan } }

    /// What `GET /v1/status` shows of sampling.
    public var status: SamplingStatus {
        state.withLock { state in
            SamplingStatus(powerHz: state.plan.powerHertz, temperatureHz: state.plan.temperatureHertz,
                           sensors: state.samplers.reduce(0) { $0 + $1.sensorCount },
                           samples: state.samplers.reduce(0) { $0 + $1.sampleCount })
        }
    }

    /// Replaces the samplers with those `configuration` asks for; returns one line per sensor left out.
    public func apply(_ configuration: GatewayConfiguration) async -> [String] {
        let (replacements, problems) = SensorSampling.samplers(for: configuration, buses: buses, clock: clock, sink: sink)
        let (old, running) = state.withLock { state -> ([BusSampler], Bool) in
            let old = state.samplers
            state.samplers = replacements
            state.plan = configuration.sampling
            return (old, state.running && !state.stopped)
        }
        railBoards.update(configuration)
        _ = try? await BlockingCall.run("stop the samplers replaced by a reload") { for sampler in old { sampler.stop() } }
        if running { for sampler in replacements { sampler.start() } }
        return problems
    }

    /// Starts the samplers: what `run()` does first, for a caller that is not a `ServiceGroup` (`pinion demo`).
    public func start() {
        let samplers = state.withLock { state -> [BusSampler] in
            state.running = true
            return state.samplers
        }
        for sampler in samplers { sampler.start() }
    }

    /// Stops the samplers for good: what `run()` does at graceful shutdown.
    public func stop() async {
        let last = state.withLock { state -> [BusSampler] in
            state.stopped = true
            return state.samplers
        }
        _ = try? await BlockingCall.run("stop the samplers") { for sampler in last { sampler.stop() } }
    }

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await stop()
    }
}

/// `sampling` in `GET /v1/status`: the rates in force (a reload changes them) and the samplers' counts.
public struct SamplingStatus: Sendable, Hashable, Codable {
    /// Reads per second of each power monitor.
    public var powerHz: Double
    /// Reads per second of each thermometer.
    public var temperatureHz: Double
    /// Sensors being sampled.
    public var sensors: Int
    /// Samples taken by the samplers in force (a reload that replaces them starts again from 0).
    public var samples: Int

    public init(powerHz: Double, temperatureHz: Double, sensors: Int, samples: Int) {
        self.powerHz = powerHz
        self.temperatureHz = temperatureHz
        self.sensors = sensors
        self.samples = samples
    }

    /// A rate as log lines and `pinion status` show it: `100 Hz`, `12.5 Hz`.
    public static func hertz(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) Hz" : "\(value) Hz"
    }
}
