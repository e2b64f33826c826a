/// What a placement policy sees of a board when it places one task.
public struct BoardView: Sendable, Hashable {
    public var serial: String
    /// Requests it can take now (its max in flight minus those in flight).
    public var freeSlots: Int
    public var inFlight: Int
    /// The task's model is loaded (no load before it can run).
    public var hasModel: Bool
    /// The board runs the model's format and has (or can free) the memory for it.
    public var canRun: Bool
    /// Above its thermal warning limit: give it no new work.
    public var hot: Bool
    /// Seconds one inference of the task's model takes there (learned, else from the board's speed).
    public var secondsPerInference: Double
    /// Joules one inference takes there, learned from the energy measured; nil until known.
    public var joulesPerInference: Double?
    /// Tasks the board has completed (of any model).
    public var completed: Int

    public init(serial: String, freeSlots: Int, inFlight: Int, hasModel: Bool, canRun: Bool, hot: Bool, secondsPerInference: Double,
                joulesPerInference: Double?, completed: Int = 0) {
        self.completed = completed
        self.serial = serial
        self.freeSlots = freeSlots
        self.inFlight = inFlight
        self.hasModel = hasModel
        self.canRun = canRun
        self.hot = hot
        self.secondsPerInference = secondsPerInference
        self.joulesPerInference = joulesPerInference
    }
}

/// Chooses a board for a task, or none (the task waits).
public protocol PlacementPolicy: Sendable {
    var name: String { get }
    mutating func choose(for task: InferenceTask, among boards: [BoardView]) -> String?
}

/// The first board (in attach order) with a free slot that can run the task: the baseline.
public struct FIFOPolicy: PlacementPolicy {
    public let name = "fifo"
    public init() {}
    public mutating func choose(for task: InferenceTask, among boards: [BoardView]) -> String? {
        boards.first { $0.canRun && !$0.hot && $0.freeSlots > 0 }?.serial
    }
}

/// Boards in turn, skipping those that cannot take the task now: the other baseline.
public struct RoundRobinPolicy: PlacementPolicy {
    public let name = "round-robin"
    private var next = 0
    public init() {}
    public mutating func choose(for task: InferenceTask, among boards: [BoardView]) -> String? {
        guard !boards.isEmpty else { return nil }
        for offset in 0..<boards.count {
            let index = (next + offset) % boards.count
            let board = boards[index]
            if board.canRun && !board.hot && board.freeSlots > 0 {
                next = index + 1
                return board.serial
            }
        }
        return nil
    }
}

/// Capability, thermal state, model affinity, load and energy: the board where the task is
/// expected to cost the fewest joules plus `latencyWeight` joules per second of expected
/// completion time (its queue, its speed, and a model load if it lacks the model).
public struct EnergyAwarePolicy: PlacementPolicy {
    public let name = "energy-aware"
    /// Joules one second of expected waiting is worth (higher favours latency).
    public var latencyWeight: Double
    /// Seconds a model load is counted as (its transfer and the eviction it may cause).
    public var loadPenaltySeconds: Double
    /// Tasks a board without an energy measurement is tried for at no energy cost, so that it gets
    /// measured; after that (a board without a rail monitor) it counts as the mean of the measured.
    public var explorationTasks: Int

    public init(latencyWeight: Double = 2.0, loadPenaltySeconds: Double = 0.01, explorationTasks: Int = 50) {
        self.latencyWeight = latencyWeight
        self.loadPenaltySeconds = loadPenaltySeconds
        self.explorationTasks = explorationTasks
    }

    public mutating func choose(for task: InferenceTask, among boards: [BoardView]) -> String? {
        let candidates = boards.filter { $0.canRun && !$0.hot && $0.freeSlots > 0 }
        // A board whose energy is not measured yet is optimistic (free) for its first tasks, so it
        // gets measured; one never measured (no rail monitor) then counts as the mean of the others.
        let known = boards.compactMap(\.joulesPerInference)
        let mean = known.isEmpty ? 0 : known.reduce(0, +) / Double(known.count)
        func cost(_ board: BoardView) -> Double {
            let exploring = board.joulesPerInference == nil && board.completed < explorationTasks
            // A model load is paid once; it is not held against a board being tried out.
            let load = board.hasModel || exploring ? 0 : loadPenaltySeconds
            let energy = board.joulesPerInference ?? (exploring ? 0 : mean)
            return energy + latencyWeight * (Double(board.inFlight) * board.secondsPerInference + load + board.secondsPerInference)
        }
        return candidates.min { cost($0) < cost($1) }?.serial
    }
}
