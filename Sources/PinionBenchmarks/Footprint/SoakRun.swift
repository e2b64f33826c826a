import Foundation
import PinionController
import PinionModels

/// `pinion run --simulate` (sensors at 100 Hz) fed tasks through its API at a steady rate, its
/// memory sampled as it goes: whether anonymous memory levels off or keeps growing.
public struct SoakRun {
    public struct Plan: Sendable {
        public var pinion: URL
        public var tasksPerSecond = 300.0
        public var seconds = 600.0
        /// Seconds between memory samples.
        public var sampleSeconds = 30.0
        /// Submissions per second (the rate is split into batches this often).
        public var batchesPerSecond = 10.0

        public init(pinion: URL) { self.pinion = pinion }
    }

    /// Memory at one moment of the soak.
    public struct Sample: Sendable {
        public let seconds: Double
        public let submitted: Int
        public let done: Int
        public let memory: ProcessFootprint
    }

    public struct Outcome: Sendable {
        public let samples: [Sample]
        /// Tasks the API refused or did not answer.
        public let refused: Int
        public let coreFraction: Double

        /// Anonymous memory in the middle and the last third of the soak, lowest and highest
        /// sample of each. It levels off when the last third's floor is within `tolerance` of the
        /// middle third's: memory that is held (a leak, an unbounded table) raises the floor,
        /// while a transient (a burst of requests, a checkpoint) raises only one sample.
        public func levelsOff(tolerance: Double = 0.05) -> (middle: ClosedRange<Int>, last: ClosedRange<Int>, levels: Bool) {
            let end = samples.last?.seconds ?? 0
            func range(_ from: Double, _ to: Double) -> ClosedRange<Int> {
                let values = samples.filter { $0.seconds > from && $0.seconds <= to }.map(\.memory.anonymousKiB)
                return (values.min() ?? 0)...(values.max() ?? 0)
            }
            let middle = range(end / 3, 2 * end / 3), last = range(2 * end / 3, end)
            return (middle, last, Double(last.lowerBound) <= Double(middle.lowerBound) * (1 + tolerance))
        }
    }

    public let plan: Plan
    private let log: (String) -> Void

    public init(plan: Plan, log: @escaping (String) -> Void) {
        self.plan = plan
        self.log = log
    }

    public func run() throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-soak-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let gateway = try SimulatedGatewayProcess(pinion: plan.pinion, directory: directory)
        try gateway.writeLocalConfiguration(FootprintRun.samplingTOML(powerHertz: 100))
        try gateway.start()
        defer { try? gateway.stop() }
        let pid = gateway.process!.processIdentifier
        let client = gateway.client
        let inputs = try DigitsDataset.testSplit().map { $0.input.map(Int.init) }
        let perBatch = plan.tasksPerSecond / plan.batchesPerSecond
        let start = Date()
        let first = try ProcessFootprint(pid: pid)
        var samples = [Sample(seconds: 0, submitted: 0, done: 0, memory: first)]
        var submitted = 0
        var refused = 0
        var owed = 0.0
        var batch = 0
        var nextSample = plan.sampleSeconds
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= nextSample {
                let done = (try? client.get("/v1/tasks?limit=1", as: TaskList.self))?.counts["done"] ?? -1
                let sample = Sample(seconds: elapsed, submitted: submitted, done: done, memory: try ProcessFootprint(pid: pid))
                samples.append(sample)
                log("  \(Int(elapsed)) s: \(submitted) tasks submitted, \(done) done; anonymous \(ProcessFootprint.mib(sample.memory.anonymousKiB)) MiB, "
                    + "private dirty \(ProcessFootprint.mib(sample.memory.privateDirtyKiB)) MiB, RSS \(ProcessFootprint.mib(sample.memory.rssKiB)) MiB")
                nextSample += plan.sampleSeconds
            }
            if elapsed >= plan.seconds { break }
            owed += perBatch
            let count = Int(owed)
            owed -= Double(count)
            let tasks = (0..<count).map { index in
                SubmitRequest.Task(id: "soak-\(submitted + index)", model: "digits", input: inputs[(submitted + index) % inputs.count])
            }
            if !tasks.isEmpty {
                if (try? client.post("/v1/tasks", SubmitRequest(tasks: tasks), as: SubmitResponse.self)) == nil { refused += tasks.count }
                submitted += tasks.count
            }
            batch += 1
            let due = start.addingTimeInterval(Double(batch) / plan.batchesPerSecond)
            Thread.sleep(forTimeInterval: max(0, due.timeIntervalSinceNow))
        }
        let cpu = ProcessFootprint.coreFraction(from: first, to: samples.last!.memory, seconds: samples.last!.seconds)
        return Outcome(samples: samples, refused: refused, coreFraction: cpu)
    }
}
