import CoreMetrics

/// What the scheduler counts and times, through swift-metrics: tasks submitted, completed and
/// failed per model, tasks given back to the queue, model loads, and each completed task's latency
/// (submitted to result recorded) and compute time (as the board reported it).
///
/// Names and labels follow Prometheus conventions (base units, `_total` for counters); docs/api.md
/// lists them. The factory decides where they go: the controller's Prometheus registry in
/// `pinion run`, a test's own registry, or nowhere (swift-metrics' no-op default).
struct SchedulerMetrics: Sendable {
    let factory: any MetricsFactory

    func submitted(_ task: InferenceTask) {
        Counter(label: "pinion_tasks_submitted_total", dimensions: [("model", task.model)], factory: factory).increment()
    }

    /// A task's first result, once journaled.
    func completed(_ task: InferenceTask, _ result: TaskResult) {
        let model = ("model", task.model), board = ("board", result.board)
        Counter(label: "pinion_tasks_completed_total", dimensions: [model, board], factory: factory).increment()
        Timer(label: "pinion_task_latency_seconds", dimensions: [model], factory: factory)
            .recordSeconds(max(0, result.finishedAt - task.submittedAt))
        Timer(label: "pinion_task_compute_seconds", dimensions: [model, board], factory: factory)
            .recordMicroseconds(result.computeMicroseconds)
    }

    func failed(_ task: InferenceTask) {
        Counter(label: "pinion_tasks_failed_total", dimensions: [("model", task.model)], factory: factory).increment()
    }

    /// A task went back to the queue from `board` (board gone, busy, timed out) to run again.
    func requeued(from board: String) {
        Counter(label: "pinion_tasks_requeued_total", dimensions: [("board", board)], factory: factory).increment()
    }

    func loaded(_ model: String, on board: String) {
        Counter(label: "pinion_model_loads_total", dimensions: [("model", model), ("board", board)], factory: factory).increment()
    }
}
