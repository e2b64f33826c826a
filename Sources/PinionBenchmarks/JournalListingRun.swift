import Foundation
import PinionController
import PinionScheduler
import PinionSystem

/// The cost of `pinion tasks` (`GET /v1/tasks`, `ControllerAPI.taskList`) on a large journal, and
/// what journal retention gives back to the disk: builds a journal of `tasks` tasks through
/// `TaskJournal`'s own calls (submitted, then nearly all done and receipted, 1 % failed, 0.1 %
/// left queued, finished over a week), times the listing `calls` times, and as many times the same
/// listing with counts made by a full count of the table (as it was before the journal kept them),
/// then forgets the older half as retention does and measures the file before and after.
public struct JournalListingRun: Sendable {
    public let tasks: Int
    public let buildSeconds: Double
    /// Each listing call's time, in milliseconds, in call order (the first one included).
    public let listingMilliseconds: [Double]
    /// The same listing with its counts made by counting the whole task table, as `GET /v1/tasks`
    /// did before the journal kept its counts (`recent` and `countsByScanning`), in milliseconds.
    public let scanningListingMilliseconds: [Double]
    /// Whether the kept counts equal a full count of the table.
    public let countsAgree: Bool
    public let counts: [String: Int]
    /// The database file and its write-ahead log, in bytes, before and after retention.
    public let bytesBefore: (file: Int64, wal: Int64)
    public let forgotten: Int
    public let forgetSeconds: Double
    public let bytesAfter: (file: Int64, wal: Int64)

    public var medianMilliseconds: Double { Self.median(listingMilliseconds) }
    public var scanningMedianMilliseconds: Double { Self.median(scanningListingMilliseconds) }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    public init(tasks: Int, calls: Int, limit: Int = 20, directory: String = NSTemporaryDirectory(), batch: Int = 10_000) async throws {
        let path = (directory as NSString).appendingPathComponent("pinion-journal-bench-\(getpid()).sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try TaskJournal(path: path)
        let week = 7 * 24 * 3600.0
        let start = Date().timeIntervalSince1970 - week
        let input = [UInt8](repeating: 7, count: 64)
        let output = [UInt8](repeating: 1, count: 40)
        func time(of index: Int) -> Double { start + week * Double(index) / Double(tasks) }
        func fate(of index: Int) -> TaskState { index % 1000 == 999 ? .queued : index % 100 == 42 ? .failed : .done }

        let building = ContinuousClock.now
        for first in stride(from: 0, to: tasks, by: batch) {
            let range = first..<min(first + batch, tasks)
            _ = try await journal.submit(range.map { InferenceTask(id: "t\($0)", model: "digits", input: input, submittedAt: time(of: $0)) })
            let done = range.filter { fate(of: $0) == .done }
            _ = try await journal.complete(done.map { index in
                (id: "t\(index)", result: TaskResult(output: output, board: "EMU-S-0001", computeMicroseconds: 120, finishedAt: time(of: index) + 0.01))
            })
            try await journal.markReceipted(done.map { "t\($0)" })
            for index in range where fate(of: index) == .failed { try await journal.fail("t\(index)", reason: "deadline passed") }
        }
        buildSeconds = (ContinuousClock.now - building).inSeconds

        var milliseconds: [Double] = []
        var list: TaskList?
        for _ in 0..<max(calls, 1) {
            let call = ContinuousClock.now
            list = try await ControllerAPI.taskList(journal: journal, limit: limit)
            milliseconds.append((ContinuousClock.now - call).inSeconds * 1000)
        }
        listingMilliseconds = milliseconds
        counts = list?.counts ?? [:]
        var scanning: [Double] = []
        var scanned: [TaskState: Int] = [:]
        for _ in 0..<max(calls, 1) {
            let call = ContinuousClock.now
            _ = try await journal.recent(limit: limit)
            scanned = try await journal.countsByScanning()
            scanning.append((ContinuousClock.now - call).inSeconds * 1000)
        }
        scanningListingMilliseconds = scanning
        countsAgree = Dictionary(uniqueKeysWithValues: scanned.map { ($0.key.rawValue, $0.value) }) == counts

        bytesBefore = Self.bytes(path)
        let forgetting = ContinuousClock.now
        // Failed tasks are stamped with the time they failed (now), so only done ones are old enough.
        forgotten = try await journal.forget(finishedBefore: time(of: tasks / 2))
        forgetSeconds = (ContinuousClock.now - forgetting).inSeconds
        bytesAfter = Self.bytes(path)
        self.tasks = tasks
    }

    /// The journal's size on disk: the database file and its write-ahead log.
    static func bytes(_ path: String) -> (file: Int64, wal: Int64) {
        func size(_ file: String) -> Int64 { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0 }
        return (size(path), size(path + "-wal"))
    }
}
