import Foundation
import PinionScheduler
import PinionSensors
import PinionUpstream

/// Publishes the gateway's telemetry upstream: every interval a report for the gateway (tasks,
/// boards, power, energy) and one per linked board (state, model, firmware, temperature, power,
/// energy, tasks), through the outbox; and a board's arrival or departure as it happens, as the
/// payload format sends it (Sparkplug DBIRTH/DDEATH at once, or a JSON state message through the outbox).
public actor TelemetryReporter {
    private let payload: any TelemetryPayload
    private let outbox: Outbox
    private let publisher: UpstreamPublisher
    private let scheduler: Scheduler
    private let linker: BoardLinker
    private let meter: EnergyMeter?
    private let version: String
    private let events: AsyncStream<BoardLinkEvent>
    private let eventSink: AsyncStream<BoardLinkEvent>.Continuation
    public private(set) var reportsQueued = 0
    public private(set) var lastError: String?

    public init(payload: any TelemetryPayload, outbox: Outbox, publisher: UpstreamPublisher, scheduler: Scheduler, linker: BoardLinker,
                meter: EnergyMeter?, version: String) {
        self.payload = payload
        self.outbox = outbox
        self.publisher = publisher
        self.scheduler = scheduler
        self.linker = linker
        self.meter = meter
        self.version = version
        (events, eventSink) = AsyncStream.makeStream(of: BoardLinkEvent.self)
    }

    /// Follows the linker's boards and reports every `interval` until cancelled.
    public func run(every interval: Duration) async {
        let sink = eventSink
        await linker.observe { event in sink.yield(event) }
        let boardEvents = Task { [events] in
            for await event in events { await self.boardEvent(event) }
        }
        defer { boardEvents.cancel() }
        while !Task.isCancelled {
            await report()
            try? await Task.sleep(for: interval)
        }
    }

    /// One report of the gateway and each board, queued in the outbox.
    public func report() async {
        let now = Self.milliseconds()
        let status = await scheduler.status()
        let boards = await linker.attachedBoards()
        let energy = meter?.ledger.perBoard ?? [:]
        let reports = [TelemetryReport(device: nil, timestampMilliseconds: now, metrics: Self.nodeMetrics(status, boards: boards, energy: energy, version: version, metered: meter != nil))]
            + boards.map { TelemetryReport(device: $0.serial, timestampMilliseconds: now, metrics: Self.boardMetrics($0, in: status, energy: energy)) }
        let messages = reports.map { payload.report($0) }
        if await enqueue(messages) { reportsQueued += messages.count }
    }

    private func boardEvent(_ event: BoardLinkEvent) async {
        let change = switch event {
        case .attached(let board): payload.boardChange(board.serial, metrics: await metrics(of: board), timestampMilliseconds: Self.milliseconds())
        case .detached(let serial): payload.boardChange(serial, metrics: nil, timestampMilliseconds: Self.milliseconds())
        }
        switch change {
        case .publishNow(let produce): await publisher.publishNow(produce)
        case .enqueue(let messages): await enqueue(messages)
        }
    }

    /// A board's metrics now, as its reports carry them.
    private func metrics(of board: AttachedBoard) async -> [TelemetryMetric] {
        Self.boardMetrics(board, in: await scheduler.status(), energy: meter?.ledger.perBoard ?? [:])
    }

    /// Queues messages in the outbox and wakes the publisher; false (and `lastError`) when the outbox failed.
    @discardableResult
    private func enqueue(_ messages: [WireMessage]) async -> Bool {
        do {
            try await outbox.enqueue(messages.map { ($0.topic, $0.payload) })
            await publisher.wake()
            return true
        } catch {
            lastError = "outbox: \(error)"
            return false
        }
    }

    /// The gateway's metrics: the same names in every report (Sparkplug: what NBIRTH declares, so
    /// `ControllerUpstream.start` takes them before connecting).
    public static func nodeMetrics(_ status: SchedulerStatus, boards: [AttachedBoard], energy: [String: Double],
                                   version: String, metered: Bool) -> [TelemetryMetric] {
        let watts = boards.compactMap(\.watts)
        return [
            TelemetryMetric("pinion/version", .string(version)),
            TelemetryMetric("scheduler/policy", .string(status.policy)),
            TelemetryMetric("scheduler/over_power_budget", .bool(status.overPowerBudget)),
            TelemetryMetric("boards/attached", .unsigned(UInt64(boards.count))),
            TelemetryMetric("boards/linked", .unsigned(UInt64(boards.filter { $0.runtime != nil }.count))),
            TelemetryMetric("tasks/queued", .unsigned(UInt64(status.queued))),
            TelemetryMetric("tasks/submitted", .unsigned(UInt64(status.statistics.submitted))),
            TelemetryMetric("tasks/completed", .unsigned(UInt64(status.statistics.completed))),
            TelemetryMetric("tasks/failed", .unsigned(UInt64(status.statistics.failed))),
            TelemetryMetric("tasks/rerun", .unsigned(UInt64(status.statistics.rerun))),
            TelemetryMetric("power/watts", .double, watts.isEmpty ? nil : .double(watts.reduce(0, +))),
            TelemetryMetric("energy/joules", .double, !metered ? nil : .double(energy.values.reduce(0, +))),
        ]
    }

    /// The same names in every report and birth of a board (Sparkplug: what DBIRTH declares).
    static func boardMetrics(_ board: AttachedBoard, in status: SchedulerStatus, energy: [String: Double]) -> [TelemetryMetric] {
        let scheduled = status.boards.first { $0.serial == board.serial }
        let joules = energy[board.serial]
        return [
            TelemetryMetric("state", .string(board.runtime == nil ? board.mode : scheduled?.hot == true ? "hot" : "ready")),
            TelemetryMetric("mode", .string(board.mode)),
            TelemetryMetric("model", .string(board.model)),
            TelemetryMetric("runtime", .string, board.runtime.map { .string($0) }),
            TelemetryMetric("firmware/version", .string(board.firmware)),
            TelemetryMetric("usb/path", .string(board.usbPath)),
            TelemetryMetric("temperature/celsius", .double, board.celsius.map { .double($0) }),
            TelemetryMetric("power/watts", .double, board.watts.map { .double($0) }),
            TelemetryMetric("energy/joules", .double, joules.map { .double($0) }),
            TelemetryMetric("tasks/completed", .unsigned(UInt64(scheduled?.completed ?? 0))),
            TelemetryMetric("tasks/in_flight", .unsigned(UInt64(scheduled?.inFlight ?? 0))),
            TelemetryMetric("busy/seconds", .double(scheduled?.busySeconds ?? 0)),
            TelemetryMetric("models/loaded", .string((scheduled?.loadedModels ?? []).joined(separator: ","))),
        ]
    }

    static func milliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
