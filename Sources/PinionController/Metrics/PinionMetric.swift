import Prometheus

/// One metric `GET /metrics` shows: its Prometheus name, type, help text and label names.
/// `PinionMetric.all` is the list docs/api.md documents (a test holds the two together).
public struct PinionMetric: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The full name, `pinion_tasks_completed_total`.
    public let name: String
    public let kind: Kind
    public let help: String
    /// The label names, in the order samples give their values.
    public let labels: [String]
    /// Upper bounds of a histogram's buckets, in the metric's unit.
    public let buckets: [Double]
    /// The name without `pinion_` and without its unit suffix, and that suffix (`total`,
    /// `seconds`, `joules`, …): the parts of swift-prometheus' `MetricNameDescriptor`.
    private let base: String
    private let unit: String

    init(_ base: String, unit: String, _ kind: Kind, labels: [String] = [], buckets: [Double] = [], help: String) {
        self.base = base
        self.unit = unit
        self.kind = kind
        self.labels = labels
        self.buckets = buckets
        self.help = help
        name = ["pinion", base, unit].filter { !$0.isEmpty }.joined(separator: "_")
    }

    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "pinion", metricName: base, unitName: unit, helpText: help)
    }
}

extension PinionMetric {
    private static let latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    private static let computeBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    // Tasks (counted by the scheduler as they happen).
    public static let tasksSubmitted = PinionMetric("tasks_submitted", unit: "total", .counter, labels: ["model"],
                                                    help: "Tasks accepted (journaled) by the scheduler.")
    public static let tasksCompleted = PinionMetric("tasks_completed", unit: "total", .counter, labels: ["model", "board"],
                                                    help: "Tasks whose result was recorded, by model and by the board that computed it.")
    public static let tasksFailed = PinionMetric("tasks_failed", unit: "total", .counter, labels: ["model"],
                                                 help: "Tasks that failed (deadline passed, input refused by the board).")
    public static let tasksRequeued = PinionMetric("tasks_requeued", unit: "total", .counter, labels: ["board"],
                                                   help: "Tasks given back to the queue by a board (gone, busy, timed out) to run again.")
    public static let modelLoads = PinionMetric("model_loads", unit: "total", .counter, labels: ["model", "board"],
                                                help: "Models loaded onto boards.")
    public static let taskLatency = PinionMetric("task_latency", unit: "seconds", .histogram, labels: ["model"], buckets: latencyBuckets,
                                                 help: "Time from a task's submission to its recorded result, completed tasks.")
    public static let taskCompute = PinionMetric("task_compute", unit: "seconds", .histogram, labels: ["model", "board"], buckets: computeBuckets,
                                                 help: "Compute time of a completed task as its board reported it.")

    // Scheduler state (read at each scrape).
    public static let tasksQueued = PinionMetric("tasks_queued", unit: "", .gauge,
                                                 help: "Tasks waiting in the queue for a board.")
    public static let powerBudgetExceeded = PinionMetric("power_budget_exceeded", unit: "", .gauge,
                                                         help: "1 while the boards draw more than the gateway's power budget (no new work is placed).")
    public static let journalRetries = PinionMetric("journal_retries", unit: "total", .counter,
                                                    help: "Task journal writes that failed and were retried.")
    public static let duplicateResults = PinionMetric("duplicate_results", unit: "total", .counter,
                                                      help: "Results refused because their task already had one.")

    // Boards.
    public static let boardInfo = PinionMetric("board", unit: "info", .gauge, labels: ["board", "board_model", "firmware", "mode"],
                                               help: "1 for each catalogued board attached: serial, catalogue model, firmware version, USB mode.")
    public static let boardTasksInFlight = PinionMetric("board_tasks_in_flight", unit: "", .gauge, labels: ["board"],
                                                        help: "Tasks placed on the board and not finished.")
    public static let boardTaskSlots = PinionMetric("board_task_slots", unit: "", .gauge, labels: ["board"],
                                                    help: "Tasks the board accepts at once.")
    public static let boardLoadedModels = PinionMetric("board_loaded_models", unit: "", .gauge, labels: ["board"],
                                                       help: "Models loaded on the board.")
    public static let boardHot = PinionMetric("board_hot", unit: "", .gauge, labels: ["board"],
                                              help: "1 while the board is above its temperature limit (no new work until it cools).")
    public static let boardBusy = PinionMetric("board_busy_seconds", unit: "total", .counter, labels: ["board"],
                                               help: "Compute time the board reported, summed since it was linked.")
    public static let boardTemperature = PinionMetric("board_temperature", unit: "celsius", .gauge, labels: ["board"],
                                                      help: "The board's temperature from its last TELEMETRY.")
    public static let boardPower = PinionMetric("board_power", unit: "watts", .gauge, labels: ["board"],
                                                help: "The board's power draw from its last TELEMETRY.")

    // Energy (measured by the rail monitors).
    public static let boardEnergy = PinionMetric("board_energy_joules", unit: "total", .counter, labels: ["board"],
                                                 help: "Energy measured on the rail that powers the board.")
    public static let boardIdleEnergy = PinionMetric("board_idle_energy_joules", unit: "total", .counter, labels: ["board"],
                                                     help: "Part of the board's energy measured while it ran no task.")
    public static let modelEnergy = PinionMetric("model_energy_joules", unit: "total", .counter, labels: ["model"],
                                                 help: "Energy attributed to the tasks of each model.")
    public static let railEnergy = PinionMetric("rail_energy_joules", unit: "total", .counter, labels: ["bus", "address", "channel", "rail"],
                                                help: "Energy integrated from a power monitor's samples.")
    public static let railMeasured = PinionMetric("rail_measured_seconds", unit: "total", .counter, labels: ["bus", "address", "channel", "rail"],
                                                  help: "Time covered by a power monitor's samples (gaps excluded).")
    public static let railGaps = PinionMetric("rail_gaps", unit: "total", .counter, labels: ["bus", "address", "channel", "rail"],
                                              help: "Gaps in a power monitor's samples (sensor down, samples too far apart).")

    // Sensor sampling.
    public static let samplerSamples = PinionMetric("sampler_samples", unit: "total", .counter, labels: ["bus"],
                                                    help: "Sensor reads that succeeded.")
    public static let samplerReadErrors = PinionMetric("sampler_read_errors", unit: "total", .counter, labels: ["bus"],
                                                       help: "Sensor reads that failed.")
    public static let samplerSensors = PinionMetric("sampler_sensors", unit: "", .gauge, labels: ["bus"],
                                                    help: "Sensors sampled on the bus.")
    public static let samplerDegraded = PinionMetric("sampler_degraded_sensors", unit: "", .gauge, labels: ["bus"],
                                                     help: "Sensors on the bus that failed repeatedly and are retried with backoff.")

    // Upstream.
    public static let outboxMessages = PinionMetric("upstream_outbox_messages", unit: "", .gauge,
                                                    help: "Messages in the upstream outbox (each is deleted once the broker has acknowledged it).")
    public static let upstreamPublished = PinionMetric("upstream_published_messages", unit: "total", .counter,
                                                       help: "Messages the broker acknowledged since start.")
    public static let upstreamConnected = PinionMetric("upstream_connected", unit: "", .gauge,
                                                       help: "1 while the MQTT broker has accepted the connection, 0 while connecting or waiting to retry.")
    public static let upstreamConnectAttempts = PinionMetric("upstream_connect_attempts", unit: "total", .counter,
                                                             help: "Connection attempts to the MQTT broker since start, failed or not.")
    public static let upstreamConnections = PinionMetric("upstream_connections", unit: "total", .counter,
                                                         help: "Connections the MQTT broker accepted since start.")
    public static let upstreamFailedAttempts = PinionMetric("upstream_failed_attempts", unit: "", .gauge,
                                                            help: "Connection attempts that failed since the last connection the broker accepted (0 while connected).")

    // Signed ledger.
    public static let ledgerEntriesWritten = PinionMetric("ledger_entries_written", unit: "total", .counter,
                                                          help: "Entries appended to the signed ledger (fsync'd) since start.")
    public static let ledgerAppendFailures = PinionMetric("ledger_append_failures", unit: "total", .counter,
                                                          help: "Ledger appends that failed (full disk, I/O error) and were undone; their entries are retried.")
    public static let ledgerPendingReceipts = PinionMetric("ledger_pending_receipts", unit: "", .gauge,
                                                           help: "Compute receipts waiting for the ledger to take them (its appends fail).")
    public static let ledgerWriting = PinionMetric("ledger_writing", unit: "", .gauge,
                                                   help: "1 while the ledger takes entries; 0 after a failed append, until one succeeds, or when its chain does not verify.")
    public static let ledgerChainVerified = PinionMetric("ledger_chain_verified", unit: "", .gauge,
                                                         help: "1 once the background check of the whole ledger file passed, 0 if it failed (no entries are then added); absent while it runs.")

    /// Every metric, in the order docs/api.md lists them.
    public static let all: [PinionMetric] = [
        tasksSubmitted, tasksCompleted, tasksFailed, tasksRequeued, modelLoads, taskLatency, taskCompute,
        tasksQueued, powerBudgetExceeded, journalRetries, duplicateResults,
        boardInfo, boardTasksInFlight, boardTaskSlots, boardLoadedModels, boardHot, boardBusy, boardTemperature, boardPower,
        boardEnergy, boardIdleEnergy, modelEnergy, railEnergy, railMeasured, railGaps,
        samplerSamples, samplerReadErrors, samplerSensors, samplerDegraded,
        outboxMessages, upstreamPublished, upstreamConnected, upstreamConnectAttempts, upstreamConnections, upstreamFailedAttempts,
        ledgerEntriesWritten, ledgerAppendFailures, ledgerPendingReceipts, ledgerWriting, ledgerChainVerified,
    ]

    /// The metric with this full name.
    public static func named(_ name: String) -> PinionMetric? { byName[name] }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
