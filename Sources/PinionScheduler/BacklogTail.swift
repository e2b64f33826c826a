/// The end of a backlog on boards of unlike speed: a task given to a slow board, behind the tasks
/// already there, can finish long after the fast boards have run out of work, and the whole
/// backlog waits for it. So the scheduler holds a task back from the board the policy chose when
/// that board would finish it later than the backlog as a whole is expected to finish *and* a
/// board that is full now would finish it sooner: the task then waits for that board's next free
/// slot. A board with nothing in flight is never held back from: that choice is the policy's. While the backlog is long every board gets work as the policy says; only its last tasks
/// are kept off the slow boards (expected-completion-time placement at the tail).
enum BacklogTail {
    /// - Parameters:
    ///   - chosen: the board the policy chose (it has a free slot).
    ///   - boards: every board, as the policy saw them for this task.
    ///   - queued: tasks waiting, this one included.
    static func shouldWait(placingOn chosen: BoardView, among boards: [BoardView], queued: Int) -> Bool {
        let seconds = chosen.secondsPerInference
        // An idle board is the policy's call (energy may be why it chose it): nothing is ahead there.
        guard seconds > 0, chosen.inFlight > 0 else { return false }
        // When the task would finish on the chosen board, behind its tasks in flight.
        let finishHere = Double(chosen.inFlight + 1) * seconds
        let usable = boards.filter { $0.canRun && !$0.hot }
        // A full board that would still finish it sooner (once a slot there is free).
        guard usable.contains(where: { $0.freeSlots <= 0 && Double($0.inFlight + 1) * $0.secondsPerInference < finishHere }) else {
            return false
        }
        // When the boards together would be done with the backlog and the tasks in flight.
        var tasksPerSecond = 0.0
        var inFlight = 0
        for board in usable {
            guard board.secondsPerInference > 0 else { return true }
            tasksPerSecond += 1 / board.secondsPerInference
            inFlight += board.inFlight
        }
        let backlogDone = Double(queued + inFlight) / tasksPerSecond
        return finishHere > backlogDone
    }
}
