import Foundation
import Glibc
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionSystem
import PinionUSB

/// Emulated NPU boards on an in-process USB host, linked over the board protocol to a scheduler
/// with a journal in a temporary file: the controller's whole task path, minus the API.
public final class SchedulerRig: Sendable {
    public struct BoardKind: Sendable {
        public var name: String
        public var macsPerSecond: Double
        public var idleWatts: Double
        public var activeWatts: Double
        public var overheadSeconds: Double
        public var maxInFlight: Int

        public init(name: String, macsPerSecond: Double, idleWatts: Double, activeWatts: Double, overheadSeconds: Double = 20e-6,
                    maxInFlight: Int = 16) {
            self.name = name
            self.macsPerSecond = macsPerSecond
            self.idleWatts = idleWatts
            self.activeWatts = activeWatts
            self.overheadSeconds = overheadSeconds
            self.maxInFlight = maxInFlight
        }
    }

    public let host = EmulatedUSBHost()
    public let boards: [EmulatedBoard]
    public let scheduler: Scheduler
    public let journalPath: String

    public init(kinds: [BoardKind], models: ModelCatalog, policy: any PlacementPolicy) throws {
        var boards: [EmulatedBoard] = []
        for (index, kind) in kinds.enumerated() {
            var model = EmulatedBoardModel(
                boardID: "bench-\(kind.name)", manufacturer: "Pinion", product: "Bench NPU \(kind.name)",
                runtime: .init(id: USBID(vendor: 0x1209, product: 0x0002), interfaces: [
                    USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [
                        USBEndpoint(address: 0x01, type: .bulk, maxPacketSize: 512), USBEndpoint(address: 0x81, type: .bulk, maxPacketSize: 512),
                    ]),
                ]),
                bootloader: nil,
                npu: EmulatedNPUSpec(memoryBytes: 256 << 20, macsPerSecond: kind.macsPerSecond, overheadSeconds: kind.overheadSeconds,
                                     maxInFlight: kind.maxInFlight))
            model.idleWatts = kind.idleWatts
            model.activeWatts = kind.activeWatts
            boards.append(EmulatedBoard(model: model, serial: "\(kind.name)-\(index + 1)", host: host, ports: [UInt8(index + 1)]))
        }
        self.boards = boards
        journalPath = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-bench-\(UUID().uuidString).sqlite").path
        scheduler = Scheduler(journal: try TaskJournal(path: journalPath), models: models, policy: policy)
    }

    public func linkAll() async throws {
        for info in try host.devices(readStrings: false) {
            await scheduler.attach(try await LinkedBoard(connection: try BoardConnection(device: try host.open(info.location), info: info)))
        }
    }

    public func tearDown() {
        host.shutdown()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journalPath + suffix) }
    }
}

/// Throughput with a model that computes nothing: the host's cost per task. With
/// `boardSecondsPerTask` above zero each board takes that long per task (one at a time), so the
/// boards, not the host, are the limit: `boards / boardSecondsPerTask` tasks per second at best.
public struct ThroughputRun: Sendable {
    public let tasks: Int
    public let boards: Int
    public let boardSecondsPerTask: Double
    public let seconds: Double
    public let cpuSeconds: Double
    public var tasksPerSecond: Double { Double(tasks) / seconds }
    /// CPU per task, microseconds: host and the in-process emulated boards together.
    public var cpuMicrosecondsPerTask: Double { cpuSeconds / Double(tasks) * 1e6 }
    /// What the boards could do at most (infinite when they take no time).
    public var boardLimit: Double { boardSecondsPerTask > 0 ? Double(boards) / boardSecondsPerTask : .infinity }

    public init(tasks: Int, boards: Int = 4, boardSecondsPerTask: Double = 0, batch: Int = 2000) async throws {
        var models = ModelCatalog()
        let empty = try Int8Model(inputShape: [1], inputScale: 1, layers: [.relu])
        try models.add(id: "zero", bytes: empty.encoded())
        let rig = try SchedulerRig(kinds: (0..<boards).map { _ in
            .init(name: "Z", macsPerSecond: 1e12, idleWatts: 1, activeWatts: 2, overheadSeconds: boardSecondsPerTask, maxInFlight: 64)
        }, models: models, policy: RoundRobinPolicy())
        defer { rig.tearDown() }
        try await rig.linkAll()
        let start = ContinuousClock.now
        let cpu = processCPUSeconds()
        var submitted = 0
        while submitted < tasks {
            let count = min(batch, tasks - submitted)
            _ = try await rig.scheduler.submit((submitted..<(submitted + count)).map { InferenceTask(id: "z\($0)", model: "zero", input: [1]) })
            submitted += count
        }
        _ = try await rig.scheduler.result(of: "z\(tasks - 1)")
        while await rig.scheduler.status().statistics.completed < tasks { try await Task.sleep(for: .milliseconds(1)) }
        seconds = (ContinuousClock.now - start).inSeconds
        cpuSeconds = processCPUSeconds() - cpu
        self.tasks = tasks
        self.boards = boards
        self.boardSecondsPerTask = boardSecondsPerTask
    }
}

/// How busy the boards are kept when there is more work than they can do.
public struct UtilisationRun: Sendable {
    public let tasks: Int
    public let seconds: Double
    /// Per board: time computing over the run's wall time.
    public let perBoard: [(String, Double)]
    public var mean: Double { perBoard.map(\.1).reduce(0, +) / Double(perBoard.count) }

    public init(tasks: Int) async throws {
        var models = ModelCatalog()
        try models.add(id: "dense512", bytes: SyntheticModels.dense(inputs: 512, outputs: 512).encoded())
        // Each inference takes 2 ms (small) or 0.5 ms (large) on the board: long beside the emulated
        // boards' own interpreting (real int8 arithmetic on this machine's cores), as on real NPUs
        // whose compute does not load the host.
        let rig = try SchedulerRig(kinds: [
            .init(name: "S", macsPerSecond: 2e11, idleWatts: 0.6, activeWatts: 1.8, overheadSeconds: 2e-3),
            .init(name: "S", macsPerSecond: 2e11, idleWatts: 0.6, activeWatts: 1.8, overheadSeconds: 2e-3),
            .init(name: "L", macsPerSecond: 8e11, idleWatts: 1.4, activeWatts: 6, overheadSeconds: 5e-4),
            .init(name: "L", macsPerSecond: 8e11, idleWatts: 1.4, activeWatts: 6, overheadSeconds: 5e-4),
        ], models: models, policy: FIFOPolicy())
        defer { rig.tearDown() }
        try await rig.linkAll()
        let input = [UInt8](repeating: 1, count: 512)
        // Saturated: the whole backlog is journaled and queued first (submitting 10,000 tasks in one
        // transaction takes a moment in which no board has work yet), then the clock starts.
        _ = try await rig.scheduler.submit((0..<tasks).map { InferenceTask(id: "u\($0)", model: "dense512", input: input) })
        let start = ContinuousClock.now
        let busyBefore = rig.boards.map { $0.npu?.busySeconds ?? 0 }
        while await rig.scheduler.status().statistics.completed < tasks { try await Task.sleep(for: .milliseconds(2)) }
        let elapsed = (ContinuousClock.now - start).inSeconds
        self.tasks = tasks
        seconds = elapsed
        perBoard = zip(rig.boards, busyBefore).map { board, before in (board.serial, ((board.npu?.busySeconds ?? 0) - before) / elapsed) }
    }
}

/// Models made up for benchmarks: random int8 weights of a given size.
public enum SyntheticModels {
    public static func dense(inputs: Int, outputs: Int, seed: UInt64 = 1) throws -> Int8Model {
        var generator = SplitMix64(seed: seed)
        let weights = (0..<(inputs * outputs)).map { _ in Int8(truncatingIfNeeded: Int(generator.next() % 255) - 127) }
        return try Int8Model(inputShape: [inputs], inputScale: 1, layers: [
            .dense(.init(inputs: inputs, outputs: outputs, weights: weights, bias: [Int32](repeating: 0, count: outputs),
                         requantisation: Requantisation(multiplier: 1 << 30, shift: 12))),
        ])
    }
}


/// Energy per task and latency of one placement policy on a mix of unlike boards, at a steady
/// offered load. Energy is the boards' exact energy (their power models) over the run; the
/// scheduler learns each board's joules per inference as a rail monitor per board would let it:
/// every 50 ms, the energy above idle that each board used, over the inferences it completed.
public struct PolicyRun: Sendable {
    public let policy: String
    public let tasks: Int
    public let joulesPerTask: Double
    public let p50Milliseconds: Double
    public let p95Milliseconds: Double
    public let perBoard: [(String, Int)]

    /// The heterogeneous mix, where the fastest board is not the most frugal: a fast power-hungry
    /// accelerator, the large and small emulated NPUs, and an old slow hungry board; speeds scaled
    /// down 1000× so that a model this machine interprets in a fraction of a millisecond takes the
    /// boards 0.18, 0.35, 1.3 and 2.6 ms, as models sized for real NPUs do.
    public static let mix: [SchedulerRig.BoardKind] = [
        .init(name: "fast", macsPerSecond: 1.6e9, idleWatts: 2.0, activeWatts: 20),
        .init(name: "L", macsPerSecond: 8e8, idleWatts: 1.4, activeWatts: 6),
        .init(name: "S", macsPerSecond: 2e8, idleWatts: 0.6, activeWatts: 1.8),
        .init(name: "old", macsPerSecond: 1e8, idleWatts: 2.0, activeWatts: 10),
    ]

    /// - Parameter rotation: attach the boards starting from this one of `mix` (FIFO depends on the order).
    public init(policy: any PlacementPolicy, tasksPerSecond: Double, seconds: Double, rotation: Int = 0, seed: UInt64 = 1) async throws {
        var models = ModelCatalog()
        try models.add(id: "dense", bytes: SyntheticModels.dense(inputs: 1024, outputs: 256).encoded())
        let kinds = Array(Self.mix[rotation...] + Self.mix[..<rotation])
        let rig = try SchedulerRig(kinds: kinds, models: models, policy: policy)
        defer { rig.tearDown() }
        try await rig.linkAll()
        // Warm-up: every board has the model loaded before the clock starts.
        let input = [UInt8](repeating: 1, count: 1024)
        let clock = rig.boards[0].clock
        let startTime = clock()
        let energyStart = rig.boards.map { $0.powerModel.energy(upTo: startTime) }
        let learner = Task {
            var last = (time: startTime, energy: energyStart, inferences: rig.boards.map { $0.npu?.inferences ?? 0 })
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                let now = clock()
                let energy = rig.boards.map { $0.powerModel.energy(upTo: now) }
                let inferences = rig.boards.map { $0.npu?.inferences ?? 0 }
                for (index, board) in rig.boards.enumerated() where inferences[index] > last.inferences[index] {
                    let active = energy[index] - last.energy[index] - board.model.idleWatts * (now - last.time)
                    await rig.scheduler.recordEnergy(board: board.serial, model: "dense",
                                                     joulesPerInference: max(active, 0) / Double(inferences[index] - last.inferences[index]))
                }
                last = (now, energy, inferences)
            }
        }
        defer { learner.cancel() }
        // Poisson arrivals at the offered rate.
        var generator = SplitMix64(seed: seed)
        let count = Int(tasksPerSecond * seconds)
        let began = ContinuousClock.now
        var arrival = 0.0
        let latencies = try await withThrowingTaskGroup(of: Double.self) { group in
            for index in 0..<count {
                arrival += -log(1 - generator.nextUnit()) / tasksPerSecond
                let due = began + .seconds(arrival)
                if due > .now { try await Task.sleep(until: due) }
                let submitted = ContinuousClock.now
                _ = try await rig.scheduler.submit([InferenceTask(id: "p\(index)", model: "dense", input: input)])
                group.addTask {
                    _ = try await rig.scheduler.result(of: "p\(index)")
                    return (ContinuousClock.now - submitted).inSeconds
                }
            }
            var all: [Double] = []
            for try await latency in group { all.append(latency) }
            return all.sorted()
        }
        let endTime = clock()
        let energy = zip(rig.boards, energyStart).reduce(0) { $0 + $1.0.powerModel.energy(upTo: endTime) - $1.1 }
        self.policy = policy.name
        tasks = count
        joulesPerTask = energy / Double(count)
        p50Milliseconds = latencies[latencies.count / 2] * 1000
        p95Milliseconds = latencies[Int(Double(latencies.count) * 0.95)] * 1000
        perBoard = await rig.scheduler.status().boards.map { ($0.serial, $0.completed) }
    }
}

/// What many distinct priorities cost the scheduler: on one scheduler and 4 zero-compute boards,
/// `tasks` tasks of one priority, then `tasks` tasks each of its own priority, then `after`
/// ordinary tasks (which once paid for every priority ever seen, until a restart).
public struct PriorityRun: Sendable {
    public struct Phase: Sendable {
        public let name: String
        public let tasks: Int
        public let seconds: Double
    }

    public let phases: [Phase]
    /// Priority queues the scheduler held once the distinct-priority tasks had drained.
    public let queuesAfterDistinct: Int

    public init(tasks: Int = 20_000, after: Int = 5_000) async throws {
        var models = ModelCatalog()
        try models.add(id: "zero", bytes: try Int8Model(inputShape: [1], inputScale: 1, layers: [.relu]).encoded())
        let rig = try SchedulerRig(kinds: (0..<4).map { _ in
            .init(name: "Z", macsPerSecond: 1e12, idleWatts: 1, activeWatts: 2, overheadSeconds: 0, maxInFlight: 64)
        }, models: models, policy: RoundRobinPolicy())
        defer { rig.tearDown() }
        try await rig.linkAll()
        var done = 0
        var phases: [Phase] = []
        func phase(_ name: String, _ count: Int, priority: (Int) -> Int) async throws {
            let start = ContinuousClock.now
            var submitted = 0
            while submitted < count {
                let batch = min(2000, count - submitted)
                _ = try await rig.scheduler.submit((submitted..<(submitted + batch)).map {
                    InferenceTask(id: "\(name)-\($0)", model: "zero", input: [1], priority: priority($0))
                })
                submitted += batch
            }
            done += count
            while await rig.scheduler.status().statistics.completed < done { try await Task.sleep(for: .milliseconds(1)) }
            phases.append(Phase(name: name, tasks: count, seconds: (ContinuousClock.now - start).inSeconds))
        }
        try await phase("one priority", tasks) { _ in 0 }
        let lowest = TaskPriority.range.lowerBound
        try await phase("distinct priorities", tasks) { lowest + $0 % TaskPriority.range.count }
        queuesAfterDistinct = await rig.scheduler.status().queuedPriorities
        try await phase("ordinary, afterwards", after) { _ in 0 }
        self.phases = phases
    }
}
