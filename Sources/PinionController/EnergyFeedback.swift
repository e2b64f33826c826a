import PinionScheduler
import PinionSensors

/// Teaches the scheduler what an inference costs on each board that has a rail monitor: per
/// window, the rail's energy above the board's idle power (learned from windows without tasks)
/// over the tasks the board completed.
public actor EnergyFeedback {
    private let meter: EnergyMeter
    private let scheduler: Scheduler
    private let boardOfRail: @Sendable (SensorSource) -> String?
    private var last: [String: (joules: Double, seconds: Double, completed: Int)] = [:]
    private var idleWatts: [String: Double] = [:]

    public init(meter: EnergyMeter, scheduler: Scheduler, boardOfRail: @escaping @Sendable (SensorSource) -> String?) {
        self.meter = meter
        self.scheduler = scheduler
        self.boardOfRail = boardOfRail
    }

    /// Ticks every `interval` until the task is cancelled.
    public func run(every interval: Duration) async {
        while (try? await Task.sleep(for: interval)) != nil {
            await tick()
        }
    }

    /// One window: call every second or so.
    public func tick() async {
        let status = await scheduler.status()
        let completed = Dictionary(uniqueKeysWithValues: status.boards.map { ($0.serial, $0.completed) })
        var models: [String: String] = [:]
        for board in status.boards { models[board.serial] = board.loadedModels.last }
        for rail in meter.rails {
            guard let board = boardOfRail(rail.source), let done = completed[board] else { continue }
            defer { last[board] = (rail.joules, rail.coveredSeconds, done) }
            guard let before = last[board] else { continue }
            let joules = rail.joules - before.joules, seconds = rail.coveredSeconds - before.seconds, tasks = done - before.completed
            guard seconds > 0.1 else { continue }
            if tasks == 0 {
                let watts = joules / seconds
                idleWatts[board] = min(idleWatts[board] ?? watts, watts)
                continue
            }
            guard let idle = idleWatts[board], let model = models[board] else { continue }
            await scheduler.recordEnergy(board: board, model: model, joulesPerInference: max(joules - idle * seconds, 0) / Double(tasks))
        }
    }
}
