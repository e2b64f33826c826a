import Synchronization

/// Energy per rail from a sampler's events: a `SamplerSink` that integrates every power
/// reading (trapezoid, or the INA228's accumulator), records gaps when sensors go down, and
/// hands each measured segment to the ledger for the board the rail powers.
///
/// Thread-safe: samplers of several buses may deliver at once.
public final class EnergyMeter: SamplerSink {
    /// A rail's totals so far.
    public struct RailTotals: Sendable, Hashable {
        public var source: SensorSource
        public var joules: Double
        public var coveredSeconds: Double
        public var firstTime: Double?
        public var lastTime: Double?
        public var gaps: [EnergyGap]
    }

    private struct State {
        var rails: [SensorSource: RailEnergyIntegrator] = [:]
        var ledger = EnergyLedger()
    }

    private let state = Mutex(State())
    private let maximumGapSeconds: Double
    private let boardOfRail: @Sendable (SensorSource) -> String?
    private let tasks: @Sendable (String, Double, Double) -> [TaskInterval]

    /// - Parameters:
    ///   - maximumGapSeconds: samples further apart are not joined (default 0.5 s: fifty missed
    ///     reads at 100 Hz).
    ///   - boardOfRail: the board a rail powers (its serial), nil for rails that power no board.
    ///   - tasks: the tasks that ran on a board between two times (from the scheduler).
    public init(maximumGapSeconds: Double = 0.5,
                boardOfRail: @escaping @Sendable (SensorSource) -> String? = { _ in nil },
                tasks: @escaping @Sendable (String, Double, Double) -> [TaskInterval] = { _, _, _ in [] }) {
        self.maximumGapSeconds = maximumGapSeconds
        self.boardOfRail = boardOfRail
        self.tasks = tasks
    }

    public func receive(_ event: SamplerEvent) {
        switch event {
        case .sample(let sample):
            for reading in sample.readings {
                guard let power = reading.power else { continue }
                let source = reading.source
                let segment = state.withLock { state in
                    state.rails[source, default: RailEnergyIntegrator(maximumGapSeconds: maximumGapSeconds)]
                        .add(time: sample.time, watts: power.watts, accumulatorJoules: reading.energyJoules)
                }
                guard let segment, let board = boardOfRail(source) else { continue }
                let running = tasks(board, segment.start, segment.end)
                state.withLock { $0.ledger.record(segment, board: board, tasks: running) }
            }
        case .degraded(let source, let error, _, _):
            state.withLock { state in
                for key in state.rails.keys where key.bus == source.bus && key.address == source.address {
                    state.rails[key]?.breakContinuity("sensor degraded: \(error)")
                }
            }
        case .recovered:
            break
        }
    }

    /// Every rail's totals, in source order.
    public var rails: [RailTotals] {
        state.withLock { state in
            state.rails.map { source, rail in
                RailTotals(source: source, joules: rail.joules, coveredSeconds: rail.coveredSeconds,
                           firstTime: rail.firstTime, lastTime: rail.lastTime, gaps: rail.gaps)
            }.sorted { $0.source.description < $1.source.description }
        }
    }

    /// The rail's totals, if it has been sampled.
    public func rail(_ source: SensorSource) -> RailTotals? { rails.first { $0.source == source } }

    /// Energy attributed so far, per task, model, board and day.
    public var ledger: EnergyLedger { state.withLock { $0.ledger } }

    /// The energy of these tasks (those with any), joules. Unlike `ledger.perTask` it copies
    /// nothing else: a copy held while samples arrive would make the next one copy the whole
    /// per-task table.
    public func taskJoules(_ ids: some Sequence<String>) -> [String: Double] {
        state.withLock { state in
            var found: [String: Double] = [:]
            for id in ids { if let joules = state.ledger.perTask[id] { found[id] = joules } }
            return found
        }
    }
}
