import Foundation
import Hummingbird
import PinionScheduler

/// The controller's local API (HTTP/1.1 and JSON on a Unix socket by default): submit tasks,
/// read their state and results, and the scheduler's status. See docs/api.md.
public enum ControllerAPI {
    /// An application serving `scheduler` and `journal` at `address`; it is a `Service` for the
    /// controller's ServiceGroup.
    ///   - token: required as `Authorization: Bearer TOKEN` on every request when given (TCP),
    ///     `GET /metrics` included.
    ///   - metrics: served as `GET /metrics` (Prometheus text format) when given.
    public static func application(scheduler: Scheduler, journal: TaskJournal, address: BindAddress, token: String? = nil,
                                   metrics: ControllerMetrics? = nil,
                                   onRunning: @escaping @Sendable () -> Void = {}) -> some ApplicationProtocol {
        let router = Router()
        if let token { router.add(middleware: BearerTokenMiddleware(token: Array(token.utf8))) }
        if let metrics {
            router.get("/metrics") { _, _ -> Response in
                let text = await metrics.exposition()
                return Response(status: .ok, headers: [.contentType: ControllerMetrics.contentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        router.post("/v1/tasks") { request, context -> SubmitResponse in
            let body = try await request.decode(as: SubmitRequest.self, context: context)
            guard !body.tasks.isEmpty else { throw HTTPError(.badRequest, message: "no tasks in the request") }
            guard body.tasks.count <= 10_000 else { throw HTTPError(.contentTooLarge, message: "at most 10000 tasks per request") }
            var tasks: [InferenceTask] = []
            for (index, task) in body.tasks.enumerated() {
                guard let inference = task.inferenceTask() else {
                    throw HTTPError(.badRequest, message: "tasks[\(index)].input: values must be int8 (-128...127)")
                }
                tasks.append(inference)
            }
            let outcomes: [TaskJournal.Submission]
            do {
                outcomes = try await scheduler.submit(tasks)
            } catch let error as SchedulerError {
                throw HTTPError(.badRequest, message: error.description)
            }
            return SubmitResponse(tasks: zip(tasks, outcomes).map { task, outcome in
                switch outcome {
                case .accepted: SubmitResponse.Outcome(id: task.id, status: "accepted", state: TaskState.queued.rawValue)
                case .duplicate(let state): SubmitResponse.Outcome(id: task.id, status: "duplicate", state: state.rawValue)
                }
            })
        }
        router.get("/v1/tasks") { request, _ -> TaskList in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            let records = try await journal.recent(limit: max(1, min(limit, 10_000)))
            let counts = try await journal.counts()
            return TaskList(tasks: records.map(TaskView.init), counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
        }
        router.get("/v1/tasks/:id") { request, context -> TaskView in
            let id = try context.parameters.require("id")
            let wait = min(request.uri.queryParameters.get("wait", as: Double.self) ?? 0, 300)
            guard let record = try await journal.record(id) else { throw HTTPError(.notFound, message: "no task '\(id)'") }
            guard wait > 0, record.state == .queued || record.state == .running else { return TaskView(record) }
            // Long poll: the result, or the record as it is when the wait ends.
            let finished = await withTaskGroup(of: TaskRecord?.self) { group in
                group.addTask { try? await scheduler.result(of: id) }
                group.addTask {
                    try? await Task.sleep(for: .seconds(wait))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let finished { return TaskView(finished) }
            return TaskView(try await journal.record(id) ?? record)
        }
        router.get("/v1/status") { _, _ -> SchedulerStatus in
            await scheduler.status()
        }
        return Application(router: router, configuration: .init(address: address, serverName: "pinion"),
                           onServerRunning: { _ in onRunning() })
    }
}

extension SubmitResponse: ResponseEncodable {}
extension TaskView: ResponseEncodable {}
extension TaskList: ResponseEncodable {}
extension SchedulerStatus: ResponseEncodable {}
