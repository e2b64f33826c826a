import Synchronization

/// The rail a power monitor chip is wired to, if any, and the last conversion it published;
/// shared by the chip's read and write hooks.
final class RailBinding: Sendable {
    struct State {
        var rail: EmulatedRail?
        var publishedIndex: Int64 = -1
        /// Energy on the rail when the chip's accumulators were last cleared (INA228), joules.
        var accumulatedFrom: Double?
    }

    let state = Mutex(State())

    /// Runs `publish` with the conversion that last completed if it is newer than the last one published.
    func refresh(period: Double?, _ publish: (EmulatedRail.Conversion, EmulatedRail, inout State) -> Void) {
        state.withLock { state in
            guard let rail = state.rail, let period, period > 0 else { return }
            // Registers are read several times per conversion: integrate only for a new one.
            let index = rail.lastConversionIndex(period: period)
            guard index != state.publishedIndex else { return }
            let conversion = rail.conversion(index, period: period)
            state.publishedIndex = conversion.index
            publish(conversion, rail, &state)
        }
    }

    func bind(_ rail: EmulatedRail) {
        state.withLock { $0 = State(rail: rail) }
    }

    /// The accumulators restart from the conversion in progress.
    func clearAccumulators() {
        state.withLock { state in
            state.accumulatedFrom = nil
            state.publishedIndex = -1
        }
    }
}

/// Conversion times of the INA226/INA3221 CT fields (codes 0–7), seconds.
let ina226ConversionTimes = [140e-6, 204e-6, 332e-6, 588e-6, 1100e-6, 2116e-6, 4156e-6, 8244e-6]
/// Conversion times of the INA228 CT fields (codes 0–7), seconds.
let ina228ConversionTimes = [50e-6, 84e-6, 150e-6, 280e-6, 540e-6, 1052e-6, 2074e-6, 4120e-6]
/// Samples averaged for AVG codes 0–7 (INA226, INA228).
let averagingCounts: [Double] = [1, 4, 16, 64, 128, 256, 512, 1024]
