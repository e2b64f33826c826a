import Foundation
import PinionBenchmarks

/// `pinion-bench scheduler-cost TASKS [BOARDS]`: the throughput benchmark's task path (journaled,
/// over the board protocol to zero-compute emulated boards) without Swift's async main, so that
/// scripts/scheduler-callgrind can count its instructions under valgrind.
enum SchedulerCostMode {
    static let usage = "usage: pinion-bench scheduler-cost TASKS [BOARDS]"

    static func run(_ arguments: [String]) -> Int32 {
        guard (1...2).contains(arguments.count), let tasks = Int(arguments[0]), tasks > 0,
              let boards = arguments.count == 2 ? Int(arguments[1]) : 4, boards > 0 else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 2
        }
        let box = RunBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.run = try await ThroughputRun(tasks: tasks, boards: boards) } catch { box.error = "\(error)" }
            done.signal()
        }
        done.wait()
        guard let run = box.run else {
            FileHandle.standardError.write(Data("error: \(box.error ?? "no run")\n".utf8))
            return 1
        }
        print("scheduler-cost: \(run.tasks) zero-compute tasks on \(boards) emulated boards, CPU \(fixed(run.cpuMicrosecondsPerTask, 1)) µs per task")
        return 0
    }

    private final class RunBox: @unchecked Sendable {
        var run: ThroughputRun?
        var error: String?
    }
}
