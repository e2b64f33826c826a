import CoreMetrics
import Logging
import PinionBoards
import PinionI2C
import PinionScheduler
import PinionSensors
import PinionUSB

extension ControllerDaemon {
    /// The working parts of a controller, assembled from a configuration: sensor sampling into the
    /// energy meter, the scheduler with its journal and models, the board linker, and the energy
    /// feedback to the scheduler. `ControllerDaemon` runs them as services with the ledger, the
    /// upstream and the API around them; `pinion demo` drives the same parts directly.
    public struct Parts: Sendable {
        /// The samplers' clock, which the task interval log shares.
        public let clock: MonotonicSamplerClock
        /// When each task ran on which board (for energy attribution).
        public let intervals: TaskIntervalLog
        /// The board each rail powers, as the configuration in force says.
        public let railBoards: RailBoards
        public let meter: EnergyMeter
        /// Not started: it runs as a service, or from `start()` to `stop()`.
        public let sampling: LiveSampling
        public let core: ControllerCore
        /// No board linked yet: hand it each board's arrival.
        public let linker: BoardLinker
        /// Not running: `run(every:)` it.
        public let feedback: EnergyFeedback

        /// Builds the parts.
        /// - Parameters:
        ///   - clock: the samplers' clock (the simulated gateway's power models may share it).
        ///   - samplerEvents: where sampler events go besides the meter.
        ///   - metrics: where the scheduler's counters and histograms go.
        ///   - boardLogger: the board links' messages.
        ///   - samplingBuilt: called once the samplers are built, before the journal is opened.
        public static func assemble(_ configuration: GatewayConfiguration, buses: any I2CBusProvider, host: any USBHost,
                                    catalogue: BoardCatalogue, clock: MonotonicSamplerClock = MonotonicSamplerClock(),
                                    samplerEvents: (any SamplerSink)? = nil, metrics: any MetricsFactory = MetricsSystem.factory,
                                    boardLogger: Logger, samplingBuilt: (LiveSampling) -> Void = { _ in }) async throws -> Parts {
            let intervals = TaskIntervalLog { clock.now() }
            let railBoards = RailBoards(configuration)
            let meter = EnergyMeter(maximumGapSeconds: configuration.maximumGapSeconds, boardOfRail: { railBoards.board(of: $0) },
                                    tasks: SensorSampling.tasks(from: intervals))
            let sink: any SamplerSink = samplerEvents.map { SamplerFanout(sinks: [meter, $0]) } ?? meter
            let sampling = LiveSampling(configuration, buses: buses, clock: clock, sink: sink, railBoards: railBoards)
            samplingBuilt(sampling)
            let core = try await ControllerCore(settings: configuration.scheduler, intervals: intervals, metrics: metrics)
            let linker = BoardLinker(host: host, catalogue: catalogue, scheduler: core.scheduler, logger: boardLogger,
                                     powerBudgetWatts: configuration.scheduler.powerBudgetWatts)
            let feedback = EnergyFeedback(meter: meter, scheduler: core.scheduler, boardOfRail: { railBoards.board(of: $0) })
            return Parts(clock: clock, intervals: intervals, railBoards: railBoards, meter: meter, sampling: sampling,
                         core: core, linker: linker, feedback: feedback)
        }
    }
}
