import CoreMetrics
import Foundation
import PinionBoardLink

/// Places inference tasks on boards and records each one's result exactly once.
///
/// Tasks wait in one queue per priority (highest first, oldest first within a priority; only
/// priorities with tasks have a queue, see `PriorityQueues`). When a
/// board has a free slot, the placement policy picks a board for the task at the head (at the end
/// of a backlog the task may wait for a faster board instead, `BacklogTail`); the model
/// is loaded there first if it is not (evicting the least recently used models no task is
/// using, if memory is short). Results are written to the journal in batches (a transaction every
/// millisecond or so) and a task's waiters hear of it only once it is written. A board that
/// leaves gives its tasks back to the queue; a board that says BUSY gets the task back later.
public actor Scheduler {
    private let journal: TaskJournal
    private let models: ModelCatalog
    private var policy: any PlacementPolicy
    private var queues = PriorityQueues()
    private var boardOrder: [String] = []
    private var boards: [String: BoardSlot] = [:]
    private var waiters: [String: [UUID: CheckedContinuation<TaskRecord?, Never>]] = [:]
    private var pendingResults: [(id: String, task: InferenceTask, result: TaskResult)] = []
    private var flushScheduled = false
    private var stats = SchedulerStatistics()
    private let intervals: TaskIntervalLog?
    private var overBudget = false
    private var resultObserver: (@Sendable (TaskRecord) -> Void)?
    private let metrics: SchedulerMetrics
    /// The wall clock task deadlines and result times are read on.
    private let now: @Sendable () -> Date
    /// Priority queues looked at while placing, in all (a cost that must not grow with priorities seen).
    private(set) var queueVisits = 0

    /// - Parameters:
    ///   - intervals: where to record when each task ran on which board (for energy attribution).
    ///   - metrics: where the scheduler's counters and histograms go (`SchedulerMetrics`).
    ///   - now: the wall clock task deadlines and result times are read on (a test may move it by hand).
    public init(journal: TaskJournal, models: ModelCatalog, policy: any PlacementPolicy = EnergyAwarePolicy(),
                intervals: TaskIntervalLog? = nil, metrics: any MetricsFactory = MetricsSystem.factory,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.journal = journal
        self.models = models
        self.policy = policy
        self.intervals = intervals
        self.metrics = SchedulerMetrics(factory: metrics)
        self.now = now
    }

    /// Places the tasks from now on with `policy` (a configuration reload); queued and running
    /// tasks are kept, and those waiting are placed under the new policy.
    public func setPolicy(_ policy: any PlacementPolicy) {
        self.policy = policy
        dispatch()
    }

    /// Queues again every task the journal holds unfinished (after a restart). Returns how many.
    @discardableResult
    public func recover() async throws -> Int {
        let tasks = try await journal.recover()
        for task in tasks { enqueue(task) }
        dispatch()
        return tasks.count
    }

    /// Checks and journals `tasks`, then queues those accepted. A task for a model the controller
    /// does not have, or with an input of the wrong size, is refused with a one-line reason.
    public func submit(_ tasks: [InferenceTask]) async throws -> [TaskJournal.Submission] {
        for task in tasks {
            guard TaskPriority.range.contains(task.priority) else {
                throw SchedulerError.priorityOutOfRange(task: task.id, priority: task.priority)
            }
            guard let model = models[task.model] else {
                throw SchedulerError.unknownModel(task: task.id, model: task.model, known: models.entries.keys.sorted())
            }
            guard task.input.count == model.inputCount else {
                throw SchedulerError.badInput(task: task.id, "model '\(task.model)' takes \(model.inputCount) int8 values, got \(task.input.count)")
            }
        }
        let outcomes = try await journal.submit(tasks)
        for (task, outcome) in zip(tasks, outcomes) where outcome == .accepted {
            enqueue(task)
            metrics.submitted(task)
        }
        stats.submitted += outcomes.filter { $0 == .accepted }.count
        dispatch()
        return outcomes
    }

    /// Waits until the task has its result (or has failed) and returns its record; throws
    /// `CancellationError` when the waiting task is cancelled (its waiter is forgotten).
    public func result(of id: String) async throws -> TaskRecord {
        let token = UUID()
        let record = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TaskRecord?, Never>) in
                guard !Task.isCancelled else { return continuation.resume(returning: nil) }
                waiters[id, default: [:]][token] = continuation
                Task { await self.resolveIfFinished(id, token: token) }
            }
        } onCancel: {
            Task { await self.abandon(id, token: token) }
        }
        guard let record else { throw CancellationError() }
        return record
    }

    /// Ends a cancelled wait.
    private func abandon(_ id: String, token: UUID) {
        guard let continuation = waiters[id]?.removeValue(forKey: token) else { return }
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
        continuation.resume(returning: nil)
    }

    /// Starts placing work on `board`.
    public func attach(_ board: any InferenceBoard) {
        guard boards[board.serial] == nil else { return }
        boards[board.serial] = BoardSlot(board: board, capacity: Int(board.info.maxInFlight))
        boardOrder.append(board.serial)
        dispatch()
    }

    /// The board is gone: its tasks in flight go back to the head of their queues.
    public func detach(serial: String) {
        guard let slot = boards.removeValue(forKey: serial) else { return }
        boardOrder.removeAll { $0 == serial }
        for task in slot.inFlight.values.sorted(by: { $0.submittedAt > $1.submittedAt }) {
            queues.pushFront(task)
            stats.rerun += 1
            metrics.requeued(from: serial)
        }
        dispatch()
    }

    /// Learned energy of one inference of `model` on `board`, joules (from measured energy).
    public func recordEnergy(board: String, model: String, joulesPerInference: Double) {
        guard boards[board] != nil else { return }
        let old = boards[board]!.joulesPerInference[model]
        boards[board]!.joulesPerInference[model] = old.map { 0.8 * $0 + 0.2 * joulesPerInference } ?? joulesPerInference
    }

    /// A board's thermal state: no new work while hot.
    public func setHot(board: String, _ hot: Bool) {
        boards[board]?.hot = hot
        if !hot { dispatch() }
    }

    /// Called with every task's result once it is journaled (the ledger's compute receipts).
    public func observeResults(_ observer: @escaping @Sendable (TaskRecord) -> Void) {
        resultObserver = observer
    }

    /// The gateway draws more than its power budget: no new work is placed until it is under.
    public func setOverPowerBudget(_ over: Bool) {
        overBudget = over
        if !over { dispatch() }
    }

    public func status() -> SchedulerStatus {
        SchedulerStatus(policy: policy.name, queued: queues.count, queuedPriorities: queues.priorities, overPowerBudget: overBudget,
                        boards: boardOrder.compactMap { serial in
                            boards[serial].map { slot in
                                SchedulerStatus.Board(serial: serial, inFlight: slot.inFlight.count, maxInFlight: Int(slot.board.info.maxInFlight),
                                                      loadedModels: slot.loaded, completed: slot.completed, busySeconds: slot.busySeconds,
                                                      hot: slot.hot)
                            }
                        }, statistics: stats)
    }

    // MARK: - Placement

    /// Queues `task`; a task journaled before priorities were bounded is queued at the nearest bound.
    private func enqueue(_ task: InferenceTask) {
        var task = task
        task.priority = min(max(task.priority, TaskPriority.range.lowerBound), TaskPriority.range.upperBound)
        queues.push(task)
    }

    private func dispatch() {
        guard !overBudget else { return }
        while let task = nextTask() {
            if let deadline = task.deadline, deadline < now().timeIntervalSince1970 {
                _ = queues.pop()
                Task { await self.failTask(task, "deadline passed before a board was free") }
                continue
            }
            // Policies place only on a board with a free slot: with none free, there is nothing to ask.
            guard boards.values.contains(where: { $0.inFlight.count < $0.capacity }) else { return }
            let views = boardOrder.compactMap { boards[$0].map { view(of: $0, for: task) } }
            guard let serial = policy.choose(for: task, among: views), boards[serial] != nil else { return }
            if let chosen = views.first(where: { $0.serial == serial }), BacklogTail.shouldWait(placingOn: chosen, among: views, queued: queues.count) {
                return
            }
            _ = queues.pop()
            boards[serial]!.inFlight[task.id] = task
            Task { await self.run(task, on: serial) }
        }
    }

    /// The task to place next; counts the queue looked at (`queueVisits`).
    private func nextTask() -> InferenceTask? {
        queueVisits += 1
        return queues.peek()
    }

    private func view(of slot: BoardSlot, for task: InferenceTask) -> BoardView {
        let model = models[task.model]
        let info = slot.board.info
        let free = Int(info.maxInFlight) - slot.inFlight.count
        let canRun = model.map { model in
            info.modelFormats.contains(model.format) && UInt64(model.bytes.count) <= info.memoryBytes
        } ?? false
        let estimated = model.map { 20e-6 + Double($0.macs) / Double(max(info.macsPerSecond, 1)) } ?? 1
        return BoardView(serial: slot.board.serial, freeSlots: free, inFlight: slot.inFlight.count, hasModel: slot.loaded.contains(task.model),
                         canRun: canRun, hot: slot.hot, secondsPerInference: slot.secondsPerInference[task.model] ?? estimated,
                         joulesPerInference: slot.joulesPerInference[task.model], completed: slot.completed)
    }

    // MARK: - Running

    private func run(_ task: InferenceTask, on serial: String) async {
        guard let board = boards[serial]?.board else { return requeue(task, from: serial) }
        do {
            try await ensureLoaded(task.model, on: serial)
            let started = intervals?.now()
            let result = try await board.infer(modelID: task.model, input: task.input)
            if let intervals, let started {
                intervals.record(.init(taskID: task.id, model: task.model, board: serial, start: started, end: intervals.now()))
            }
            finished(task, on: serial, result)
        } catch let error as InferenceBoardError {
            switch error {
            case .boardGone:
                detach(serial: serial)
            case .modelMissing:
                boards[serial]?.loaded.removeAll { $0 == task.model }
                requeue(task, from: serial)
            case .taskFailed(let message):
                boards[serial]?.inFlight[task.id] = nil
                await failTask(task, "board \(serial): \(message)")
                dispatch()
            case .busy, .timedOut, .boardFault:
                requeue(task, from: serial)
            }
        } catch {
            requeue(task, from: serial)
        }
    }

    private func requeue(_ task: InferenceTask, from serial: String) {
        guard boards[serial]?.inFlight.removeValue(forKey: task.id) != nil || boards[serial] == nil else { return }
        queues.pushFront(task)
        stats.rerun += 1
        metrics.requeued(from: serial)
        dispatch()
    }

    private func ensureLoaded(_ model: String, on serial: String) async throws {
        guard var slot = boards[serial] else { throw InferenceBoardError.boardGone("\(serial) was detached") }
        if slot.loaded.contains(model) {
            slot.loaded.removeAll { $0 == model }
            slot.loaded.append(model)
            boards[serial] = slot
            return
        }
        if let loading = slot.loading[model] { return try await loading.value }
        guard let entry = models[model] else { throw SchedulerError.unknownModel(task: "-", model: model, known: []) }
        // Free memory: unload least recently used models no task in flight is using.
        var used = slot.loaded.compactMap { models[$0]?.bytes.count }.reduce(0, +)
        let inUse = Set(slot.inFlight.values.map(\.model))
        var evict: [String] = []
        for candidate in slot.loaded where UInt64(used + entry.bytes.count) > slot.board.info.memoryBytes && !inUse.contains(candidate) {
            evict.append(candidate)
            used -= models[candidate]?.bytes.count ?? 0
        }
        let board = slot.board
        let evicted = evict
        let bytes = entry.bytes
        let load = Task {
            for old in evicted { try await board.unloadModel(id: old) }
            try await board.loadModel(id: model, bytes: bytes)
        }
        boards[serial]!.loading[model] = load
        boards[serial]!.loaded.removeAll { evict.contains($0) }
        defer { boards[serial]?.loading[model] = nil }
        try await load.value
        boards[serial]?.loaded.append(model)
        stats.modelLoads += 1
        metrics.loaded(model, on: serial)
    }

    private func finished(_ task: InferenceTask, on serial: String, _ result: BoardInferenceResult) {
        guard boards[serial]?.inFlight.removeValue(forKey: task.id) != nil else { return }
        let seconds = Double(result.computeMicroseconds) / 1e6
        let old = boards[serial]!.secondsPerInference[task.model]
        boards[serial]!.secondsPerInference[task.model] = old.map { 0.9 * $0 + 0.1 * seconds } ?? seconds
        boards[serial]!.completed += 1
        boards[serial]!.busySeconds += seconds
        let record = TaskResult(output: result.output, board: serial, computeMicroseconds: result.computeMicroseconds,
                                finishedAt: now().timeIntervalSince1970)
        pendingResults.append((task.id, task, record))
        scheduleFlush()
        dispatch()
    }

    // MARK: - Journal and waiters

    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        Task {
            try? await Task.sleep(for: .milliseconds(1))
            await self.flush()
        }
    }

    private func flush() async {
        let batch = pendingResults
        pendingResults = []
        flushScheduled = false
        guard !batch.isEmpty else { return }
        do {
            let first = try await journal.complete(batch.map { ($0.id, $0.result) })
            stats.completed += first.filter { $0 }.count
            stats.duplicateResults += first.filter { !$0 }.count
            for (entry, isFirst) in zip(batch, first) where isFirst {
                let record = TaskRecord(task: entry.task, state: .done, result: entry.result, error: nil)
                metrics.completed(entry.task, entry.result)
                resultObserver?(record)
                resolve(entry.id, record)
            }
        } catch {
            // The journal could not be written: keep the results and try again shortly.
            pendingResults = batch + pendingResults
            stats.journalRetries += 1
            Task {
                try? await Task.sleep(for: .milliseconds(50))
                await self.scheduleFlush()
            }
        }
    }

    private func failTask(_ task: InferenceTask, _ reason: String) async {
        try? await journal.fail(task.id, reason: reason)
        stats.failed += 1
        metrics.failed(task)
        resolve(task.id, TaskRecord(task: task, state: .failed, result: nil, error: reason))
    }

    private func resolve(_ id: String, _ record: TaskRecord) {
        guard let waiting = waiters.removeValue(forKey: id) else { return }
        for continuation in waiting.values { continuation.resume(returning: record) }
    }

    private func resolveIfFinished(_ id: String, token: UUID) async {
        guard let record = try? await journal.record(id), record.state == .done || record.state == .failed else { return }
        guard let continuation = waiters[id]?.removeValue(forKey: token) else { return }
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
        continuation.resume(returning: record)
    }
}

/// One board as the scheduler tracks it.
struct BoardSlot {
    let board: any InferenceBoard
    /// Requests the board holds at once (its HELLO's max in flight).
    let capacity: Int
    var inFlight: [String: InferenceTask] = [:]
    /// Loaded models, least recently used first.
    var loaded: [String] = []
    var loading: [String: Task<Void, any Error>] = [:]
    var secondsPerInference: [String: Double] = [:]
    var joulesPerInference: [String: Double] = [:]
    var completed = 0
    var busySeconds = 0.0
    var hot = false
}

/// A FIFO with O(1) push, push-front and pop.
final class TaskQueue {
    private var items: [InferenceTask] = []
    private var head = 0
    private var front: [InferenceTask] = []

    var count: Int { items.count - head + front.count }

    func push(_ task: InferenceTask) { items.append(task) }
    func pushFront(_ task: InferenceTask) { front.append(task) }

    func peek() -> InferenceTask? { front.last ?? (head < items.count ? items[head] : nil) }

    func pop() -> InferenceTask? {
        if let task = front.popLast() { return task }
        guard head < items.count else { return nil }
        defer {
            head += 1
            if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
        }
        return items[head]
    }
}
