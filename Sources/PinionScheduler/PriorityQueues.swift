/// The priorities a task may have: higher runs first, 0 by default. A bounded range keeps the
/// set of queues small and lets clients see at submission that a value is not one (a typed
/// `SchedulerError.priorityOutOfRange`, a 400 from the API).
public enum TaskPriority {
    public static let range = -10_000...10_000
}

/// The waiting tasks: one FIFO per priority that has tasks, highest priority first.
///
/// Only priorities with tasks are held: a queue that empties is dropped, so finding the next task
/// costs the same however many priorities were ever seen. The priorities waiting are kept sorted
/// (ascending, so the highest is the last); a priority that gets its first task is inserted by
/// binary search.
struct PriorityQueues {
    private var queues: [Int: TaskQueue] = [:]
    private var waiting: [Int] = []

    /// Tasks waiting, over all priorities.
    private(set) var count = 0
    /// Priorities with tasks waiting (the queues held).
    var priorities: Int { waiting.count }

    /// The next task: the oldest (or the one given back last) of the highest priority.
    func peek() -> InferenceTask? {
        guard let highest = waiting.last else { return nil }
        return queues[highest]?.peek()
    }

    /// Removes and returns the task `peek` shows.
    mutating func pop() -> InferenceTask? {
        guard let highest = waiting.last, let queue = queues[highest], let task = queue.pop() else { return nil }
        count -= 1
        if queue.count == 0 {
            queues[highest] = nil
            waiting.removeLast()
        }
        return task
    }

    /// Queues `task` behind the others of its priority.
    mutating func push(_ task: InferenceTask) { queue(for: task.priority).push(task) }

    /// Gives `task` back to the head of its priority's queue (its board left, or was busy).
    mutating func pushFront(_ task: InferenceTask) { queue(for: task.priority).pushFront(task) }

    private mutating func queue(for priority: Int) -> TaskQueue {
        count += 1
        if let queue = queues[priority] { return queue }
        let queue = TaskQueue()
        queues[priority] = queue
        var low = 0, high = waiting.count
        while low < high {
            let middle = (low + high) / 2
            if waiting[middle] < priority { low = middle + 1 } else { high = middle }
        }
        waiting.insert(priority, at: low)
        return queue
    }
}
