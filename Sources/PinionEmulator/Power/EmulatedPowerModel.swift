import Foundation
import Synchronization

/// How much power an emulated board draws over time, and exactly how much energy it used: the
/// ground truth Pinion's measured energy is checked against.
///
/// Power is `idle + (active − idle) × utilisation(t) + noise(t)`. Utilisation is piecewise
/// constant (set as tasks start and stop, or from a random load profile); the noise is a sum of
/// three sines at incommensurate frequencies (7.3, 23.9 and 61.1 Hz) whose amplitudes add up to
/// `noiseWatts`, so that it is deterministic and its integral exact. Times are seconds on the
/// clock the model's readers share (emulated time in tests, monotonic time in `pinion sim`).
///
/// Utilisation steps older than `historySeconds` (5 minutes) before the latest are dropped (a
/// simulated board running tasks for days changes utilisation millions of times): power and
/// energy stay exact for every time in that window, which covers every reader (conversion
/// windows, the INA228's accumulator, which asks for energy up to its latest conversion), and
/// energy stays cumulative from time 0.
public final class EmulatedPowerModel: Sendable {
    /// A board's electrical character.
    public struct Parameters: Sendable, Hashable {
        public var idleWatts: Double
        public var activeWatts: Double
        /// Peak noise amplitude, watts.
        public var noiseWatts: Double
        /// The rail's voltage, volts.
        public var busVolts: Double

        public init(idleWatts: Double, activeWatts: Double, noiseWatts: Double = 0, busVolts: Double = 12) {
            self.idleWatts = idleWatts
            self.activeWatts = activeWatts
            self.noiseWatts = noiseWatts
            self.busVolts = busVolts
        }
    }

    /// A change of utilisation at a time.
    public struct Step: Sendable, Hashable {
        public var time: Double
        public var utilisation: Double

        public init(time: Double, utilisation: Double) {
            self.time = time
            self.utilisation = utilisation
        }
    }

    private struct State {
        var steps: [Step]
        /// Energy of the piecewise-constant part from 0 to each step's time.
        var energyAtStep: [Double]
        /// Step count at which old steps are next dropped.
        var trimAt = 1024
    }

    public let parameters: Parameters
    /// How far back before the latest utilisation change power and energy stay exact.
    public let historySeconds: Double
    private let phases: [Double]
    private static let frequencies = [7.3, 23.9, 61.1]
    private let state: Mutex<State>

    /// - Parameters:
    ///   - seed: chooses the noise phases.
    ///   - historySeconds: how long utilisation history is kept (at least this far back from
    ///     the latest change, power and energy are exact).
    public init(_ parameters: Parameters, seed: UInt64 = 1, historySeconds: Double = 300) {
        self.parameters = parameters
        self.historySeconds = historySeconds
        var generator = SplitMix64(seed: seed)
        phases = Self.frequencies.map { _ in generator.nextUnit() * 2 * .pi }
        state = Mutex(State(steps: [Step(time: 0, utilisation: 0)], energyAtStep: [0]))
    }

    /// Sets the utilisation (0–1) from `time` on. Times must not go backwards; a change at the
    /// time of the last one replaces it.
    public func setUtilisation(_ utilisation: Double, at time: Double) {
        let value = min(max(utilisation, 0), 1)
        state.withLock { state in
            let last = state.steps[state.steps.count - 1]
            let at = max(time, last.time)
            if at == last.time {
                state.steps[state.steps.count - 1].utilisation = value
                return
            }
            let energy = state.energyAtStep[state.energyAtStep.count - 1] + basePower(last.utilisation) * (at - last.time)
            state.steps.append(Step(time: at, utilisation: value))
            state.energyAtStep.append(energy)
            if state.steps.count >= state.trimAt { Self.dropHistory(before: at - historySeconds, in: &state) }
        }
    }

    /// Drops the steps that ended before `horizon` (keeping the one in force at `horizon`); runs
    /// when the count has doubled since the last time, so it costs nothing per change.
    private static func dropHistory(before horizon: Double, in state: inout State) {
        let inForce = stepIndex(state.steps, horizon)
        if inForce > 0 {
            state.steps.removeFirst(inForce)
            state.energyAtStep.removeFirst(inForce)
        }
        state.trimAt = max(2 * state.steps.count, 1024)
    }

    /// Utilisation changes currently held (bounded by `historySeconds`).
    var retainedSteps: Int { state.withLock { $0.steps.count } }

    /// Applies a whole load profile (steps in time order).
    public func apply(_ steps: [Step]) {
        for step in steps { setUtilisation(step.utilisation, at: step.time) }
    }

    /// Power at `time`, watts.
    public func power(at time: Double) -> Double {
        let utilisation = state.withLock { state in state.steps[Self.stepIndex(state.steps, time)].utilisation }
        return basePower(utilisation) + noise(at: time)
    }

    /// Exact energy used between two times, joules.
    public func energy(from start: Double, to end: Double) -> Double {
        energy(upTo: end) - energy(upTo: start)
    }

    /// Exact energy used from time 0 to `time`, joules.
    public func energy(upTo time: Double) -> Double {
        let base = state.withLock { state in
            let index = Self.stepIndex(state.steps, time)
            let step = state.steps[index]
            return state.energyAtStep[index] + basePower(step.utilisation) * (time - step.time)
        }
        return base + noiseIntegral(to: time)
    }

    /// A random load: utilisation levels held for exponentially distributed times (mean
    /// `meanHoldSeconds`), half of them idle, the rest uniform in 0.2–1, from 0 to `duration`.
    public static func randomLoad(seed: UInt64, duration: Double, meanHoldSeconds: Double = 1.5) -> [Step] {
        var generator = SplitMix64(seed: seed)
        var steps: [Step] = []
        var time = 0.0
        while time < duration {
            let utilisation = generator.nextUnit() < 0.5 ? 0 : 0.2 + 0.8 * generator.nextUnit()
            steps.append(Step(time: time, utilisation: utilisation))
            time += -log(1 - generator.nextUnit()) * meanHoldSeconds
        }
        return steps
    }

    private func basePower(_ utilisation: Double) -> Double {
        parameters.idleWatts + (parameters.activeWatts - parameters.idleWatts) * utilisation
    }

    private func noise(at time: Double) -> Double {
        let amplitude = parameters.noiseWatts / Double(Self.frequencies.count)
        return zip(Self.frequencies, phases).reduce(0) { $0 + amplitude * sin(2 * .pi * $1.0 * time + $1.1) }
    }

    private func noiseIntegral(to time: Double) -> Double {
        let amplitude = parameters.noiseWatts / Double(Self.frequencies.count)
        return zip(Self.frequencies, phases).reduce(0) { sum, pair in
            let omega = 2 * .pi * pair.0
            return sum + amplitude * (cos(pair.1) - cos(omega * time + pair.1)) / omega
        }
    }

    /// The last step at or before `time` (the first one for earlier times).
    private static func stepIndex(_ steps: [Step], _ time: Double) -> Int {
        var low = 0, high = steps.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if steps[middle].time <= time { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
