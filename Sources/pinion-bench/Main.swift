import Foundation
import PinionBenchmarks

/// pinion-bench's entry point. `ledger-cost` runs without Swift's async main, which parks the main
/// thread in `dispatch_main`: valgrind 3.19 dies there, and scripts/ledger-callgrind runs
/// `ledger-cost` (scripts/scheduler-callgrind `scheduler-cost`) under valgrind. Everything else is
/// `PinionBench`, as an async command.
@main
enum PinionBenchMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "ledger-cost" { exit(LedgerCostMode.run(Array(arguments.dropFirst()))) }
        if arguments.first == "scheduler-cost" { exit(SchedulerCostMode.run(Array(arguments.dropFirst()))) }
        Task {
            await PinionBench.main()
            exit(0)
        }
        dispatchMain()
    }
}

/// `pinion-bench ledger-cost append PATH ENTRIES` (a new ledger of ENTRIES receipts, appended in
/// groups of 64, each durable) and `pinion-bench ledger-cost verify PATH` (`pinion ledger
/// verify`'s check): the ledger's hot paths alone, for instruction counts (scripts/ledger-callgrind).
enum LedgerCostMode {
    static let usage = "usage: pinion-bench ledger-cost append PATH ENTRIES | ledger-cost verify PATH"

    static func run(_ arguments: [String]) -> Int32 {
        do {
            switch arguments.first {
            case "append" where arguments.count == 3:
                guard let entries = Int(arguments[2]), entries > 0 else { break }
                let path = arguments[1]
                let box = ResultBox()
                let done = DispatchSemaphore(value: 0)
                Task {
                    do { box.gateway = try await LedgerCostRun.append(path: path, entries: entries, batch: 64).gateway } catch { box.error = "\(error)" }
                    done.signal()
                }
                done.wait()
                if let error = box.error { throw CostError(error) }
                print("ledger-cost: appended \(entries) entries to \(path); gateway \(box.gateway ?? "")")
                return 0
            case "verify" where arguments.count == 2:
                let checked = try LedgerCostRun.verify(path: arguments[1], gateway: nil)
                print("ledger-cost: verified \(checked.entries) entries")
                return 0
            default: break
            }
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
    }

    private final class ResultBox: @unchecked Sendable {
        var gateway: String?
        var error: String?
    }

    private struct CostError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
