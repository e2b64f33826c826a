import PinionScheduler
import Testing

@Suite("Placement policies")
struct PlacementPolicyTests {
    let task = InferenceTask(id: "t", model: "m", input: [])

    func board(_ serial: String, free: Int = 4, inFlight: Int = 0, hasModel: Bool = true, canRun: Bool = true, hot: Bool = false,
               seconds: Double = 0.001, joules: Double? = nil, completed: Int = 100) -> BoardView {
        BoardView(serial: serial, freeSlots: free, inFlight: inFlight, hasModel: hasModel, canRun: canRun, hot: hot,
                  secondsPerInference: seconds, joulesPerInference: joules, completed: completed)
    }

    @Test func fifoTakesTheFirstBoardThatCanRunIt() {
        var policy = FIFOPolicy()
        #expect(policy.choose(for: task, among: [board("A", free: 0), board("B", canRun: false), board("C", hot: true), board("D")]) == "D")
        #expect(policy.choose(for: task, among: [board("A", free: 0)]) == nil)
    }

    @Test func roundRobinTakesBoardsInTurn() {
        var policy = RoundRobinPolicy()
        let boards = [board("A"), board("B"), board("C", free: 0)]
        #expect((0..<4).map { _ in policy.choose(for: task, among: boards) } == ["A", "B", "A", "B"])
    }

    @Test func energyAwarePrefersTheCheapBoardUntilItsQueueCostsMore() {
        var policy = EnergyAwarePolicy(latencyWeight: 2, loadPenaltySeconds: 0.05)
        // Nothing measured: the board expected to finish first (its queue and its speed).
        #expect(policy.choose(for: task, among: [board("A", inFlight: 3, seconds: 0.001), board("B", inFlight: 1, seconds: 0.004),
                                                board("C", inFlight: 2, seconds: 0.001)]) == "C")
        // A board without a measurement is tried first, to measure it...
        #expect(policy.choose(for: task, among: [board("A", joules: 0.010), board("B", joules: 0.030), board("C", completed: 3)]) == "C")
        // ...and once tried enough without one (no rail monitor), counts as the mean of the measured.
        #expect(policy.choose(for: task, among: [board("A", joules: 0.010), board("B", joules: 0.030), board("C", completed: 50)]) == "A")
        // Known: the cheaper board, even when a little busier.
        #expect(policy.choose(for: task, among: [board("A", inFlight: 0, joules: 0.010), board("B", inFlight: 2, joules: 0.002)]) == "B")
        // But not when its queue would cost more (2 J per second of waiting) than the energy saved.
        #expect(policy.choose(for: task, among: [board("A", inFlight: 0, seconds: 0.001, joules: 0.010),
                                                board("B", inFlight: 10, seconds: 0.001, joules: 0.002)]) == "A")
        // Never a hot board or one that cannot run the model.
        #expect(policy.choose(for: task, among: [board("A", hot: true, joules: 0.001), board("B", canRun: false, joules: 0.001),
                                                board("C", joules: 0.5)]) == "C")
    }
}
