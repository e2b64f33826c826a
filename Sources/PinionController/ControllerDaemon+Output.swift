import Logging
import PinionBoards
import PinionSensors

extension ControllerDaemon {
    /// Where the daemon's reports go: the command that runs it decides how lines, board events and
    /// energy reports are written (plain lines, JSON lines, the journal's priorities).
    public struct Output: Sendable {
        /// One progress line at its level.
        public var log: @Sendable (String, Logger.Level) -> Void
        /// The board links' messages.
        public var boardLogger: Logger
        /// Sensor health as the samplers see it (degraded, recovered); samples go to the energy meter.
        public var samplerEvents: (any SamplerSink)?
        /// A board arrived or left.
        public var boardEvent: @Sendable (BoardEvent) -> Void
        /// The energy per rail and board so far: every `energyReportSeconds` and at stop, while sensors are sampled.
        public var energy: @Sendable (EnergyMeter) -> Void

        public init(log: @escaping @Sendable (String, Logger.Level) -> Void, boardLogger: Logger, samplerEvents: (any SamplerSink)?,
                    boardEvent: @escaping @Sendable (BoardEvent) -> Void, energy: @escaping @Sendable (EnergyMeter) -> Void) {
            self.log = log
            self.boardLogger = boardLogger
            self.samplerEvents = samplerEvents
            self.boardEvent = boardEvent
            self.energy = energy
        }

        /// `log` at info level, as a value for callbacks.
        var info: @Sendable (String) -> Void {
            { [log] message in log(message, .info) }
        }
    }
}
