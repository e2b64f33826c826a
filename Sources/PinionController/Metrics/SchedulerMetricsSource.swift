import PinionScheduler

/// The scheduler's state at a scrape: queue length, power budget, per board in flight, slots,
/// loaded models, thermal state and busy time, and the journal's retry counts. (Task counts and
/// latencies are counted as they happen: `SchedulerMetrics`.)
public struct SchedulerMetricsSource: MetricsSource {
    public let scheduler: Scheduler

    public init(scheduler: Scheduler) { self.scheduler = scheduler }

    public func samples() async -> [MetricSample] {
        let status = await scheduler.status()
        var samples = [
            MetricSample(.tasksQueued, [], Double(status.queued)),
            MetricSample(.powerBudgetExceeded, [], status.overPowerBudget ? 1 : 0),
            MetricSample(.journalRetries, [], Double(status.statistics.journalRetries)),
            MetricSample(.duplicateResults, [], Double(status.statistics.duplicateResults)),
        ]
        for board in status.boards {
            samples += [
                MetricSample(.boardTasksInFlight, [board.serial], Double(board.inFlight)),
                MetricSample(.boardTaskSlots, [board.serial], Double(board.maxInFlight)),
                MetricSample(.boardLoadedModels, [board.serial], Double(board.loadedModels.count)),
                MetricSample(.boardHot, [board.serial], board.hot ? 1 : 0),
                MetricSample(.boardBusy, [board.serial], board.busySeconds),
            ]
        }
        return samples
    }
}
