import CoreMetrics
import Foundation
import Glibc
import Logging
import PinionModels
import PinionScheduler
import PinionSensors

/// The scheduler side of the controller, built from the configuration: the journal (tasks left
/// unfinished by the last run are queued again), the models, the placement policy, and the local
/// API on its socket.
public struct ControllerCore: Sendable {
    public let journal: TaskJournal
    public let scheduler: Scheduler
    public let models: ModelCatalog
    /// Tasks queued again from the journal at start-up.
    public let recovered: Int
    /// One line per model file that could not be used.
    public let problems: [String]

    /// - Parameters:
    ///   - intervals: where the scheduler records when tasks ran (for energy attribution).
    ///   - metrics: where the scheduler's counters and histograms go (`ControllerMetrics.factory`).
    public init(settings: SchedulerSettings, intervals: TaskIntervalLog? = nil,
                metrics: any MetricsFactory = MetricsSystem.factory) async throws {
        let policy = try settings.placementPolicy()
        let directory = (settings.journal as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        do {
            journal = try TaskJournal(path: settings.journal)
        } catch {
            throw ControllerError("cannot open the task journal \(settings.journal): \(error)")
        }
        var models = ModelCatalog()
        var problems: [String] = []
        try models.add(id: "digits", bytes: try DigitsDataset.modelBytes())
        let files = (try? FileManager.default.contentsOfDirectory(atPath: settings.modelsDirectory)) ?? []
        for file in files.sorted() where file.hasSuffix(".pnm") {
            let path = "\(settings.modelsDirectory)/\(file)"
            do {
                try models.add(id: String(file.dropLast(4)), bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        self.models = models
        self.problems = problems
        scheduler = Scheduler(journal: journal, models: models, policy: policy, intervals: intervals, metrics: metrics)
        recovered = try await scheduler.recover()
    }

    /// Makes the API socket's directory, removes a stale socket file, and after binding sets
    /// mode 0660 and the group.
    public static func prepareSocket(_ settings: APISettings) throws {
        let directory = (settings.socket as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        if FileManager.default.fileExists(atPath: settings.socket) {
            // A socket nobody answers on is left over from a run that was killed.
            if (try? ControllerClient(socketPath: settings.socket).get("/v1/status", as: SchedulerStatus.self)) != nil {
                throw ControllerError("another controller is answering on \(settings.socket)")
            }
            unlink(settings.socket)
        }
    }

    public static func restrictSocket(_ settings: APISettings) {
        chmod(settings.socket, 0o660)
        if let group = getgrnam(settings.socketGroup) { chown(settings.socket, uid_t.max, group.pointee.gr_gid) }
    }
}

/// The controller cannot start; one line.
public struct ControllerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension SensorSampling {
    /// The meter's view of a task interval log: the tasks that ran on a board in a time span.
    public static func tasks(from log: TaskIntervalLog) -> @Sendable (String, Double, Double) -> [TaskInterval] {
        { board, start, end in
            log.intervals(board: board, from: start, to: end).map {
                TaskInterval(taskID: $0.taskID, model: $0.model, board: $0.board, start: $0.start, end: $0.end)
            }
        }
    }
}
