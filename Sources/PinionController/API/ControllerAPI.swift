import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import PinionScheduler
import PinionUpstream

/// The controller's local API (HTTP/1.1 and JSON on a Unix socket by default): submit tasks,
/// read their state and results, and the scheduler's status. See docs/api.md.
///
/// Every error answer is a JSON `APIErrorBody` (`APIErrorMiddleware`): what is wrong and the
/// request field at fault.
public enum ControllerAPI {
    /// The longest `?wait=S` of `GET /v1/tasks/ID`.
    public static let maximumWaitSeconds = 300.0
    /// The most tasks in one `POST /v1/tasks`.
    public static let maximumTasksPerRequest = 10_000

    /// An application serving `scheduler` and `journal` at `address`; it is a `Service` for the
    /// controller's ServiceGroup.
    ///   - token: required as `Authorization: Bearer TOKEN` on every request when given (TCP),
    ///     `GET /metrics` included.
    ///   - metrics: served as `GET /metrics` (Prometheus text format) when given.
    ///   - limits: connections, timeouts and body size of this listener.
    ///   - upstreamLink: the MQTT link's status for `GET /v1/status`, with `[upstream]`.
    ///   - sampling: the sampling rates in force and the samplers' counts for `GET /v1/status`.
    public static func application(scheduler: Scheduler, journal: TaskJournal, address: BindAddress, token: String? = nil,
                                   metrics: ControllerMetrics? = nil, limits: APIConnectionLimits = APIConnectionLimits(),
                                   upstreamLink: (@Sendable () -> MQTTLinkStatus)? = nil,
                                   sampling: (@Sendable () -> SamplingStatus)? = nil,
                                   onRunning: @escaping @Sendable () -> Void = {}) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: APIErrorMiddleware(maximumBodyBytes: limits.maxBodyBytes))
        if let token { router.add(middleware: BearerTokenMiddleware(token: Array(token.utf8))) }
        if let metrics {
            router.get("/metrics") { _, _ -> Response in
                let text = await metrics.exposition()
                return Response(status: .ok, headers: [.contentType: ControllerMetrics.contentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            }
        }
        router.post("/v1/tasks") { request, _ -> SubmitResponse in
            try await submit(request, scheduler: scheduler, maximumBodyBytes: limits.maxBodyBytes)
        }
        router.get("/v1/tasks") { request, _ -> TaskList in
            try await taskList(journal: journal, limit: try query(request, "limit", default: 50, in: 1...10_000))
        }
        router.get("/v1/tasks/:id") { request, context -> TaskView in
            let id = try taskID(context.parameters.require("id"))
            let wait = try waitSeconds(request)
            guard let record = try await journal.record(id) else { throw APIError(.notFound, "no task '\(id)'", field: "id") }
            guard wait > 0, record.state == .queued || record.state == .running else { return TaskView(record) }
            return TaskView(try await longPoll(id, seconds: wait, scheduler: scheduler, journal: journal) ?? record)
        }
        router.get("/v1/status") { _, _ -> ControllerStatus in
            ControllerStatus(scheduler: await scheduler.status(), upstream: upstreamLink?(), sampling: sampling?())
        }
        let configuration = ApplicationConfiguration(address: address, serverName: "pinion", backlog: limits.backlog)
        let bodyTimeout = TimeAmount.nanoseconds(Int64(limits.bodyTimeoutSeconds * 1e9))
        let slots = ConnectionSlots(capacity: limits.effectiveMaxConnections)
        let server = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [ConnectionSlotHandler(slots: slots), RequestBodyDeadline(timeout: bodyTimeout)],
            idleTimeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9))))
        return Application(router: router, server: server, configuration: configuration, onServerRunning: { _ in onRunning() })
    }

    /// `GET /v1/tasks` (`pinion tasks`): the `limit` newest tasks and the number of tasks in each state.
    public static func taskList(journal: TaskJournal, limit: Int) async throws -> TaskList {
        let records = try await journal.recent(limit: limit)
        let counts = try await journal.counts()
        return TaskList(tasks: records.map(TaskView.init), counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }))
    }

    /// `POST /v1/tasks`: decodes (every fault named by its field), checks and journals the tasks.
    static func submit(_ request: Request, scheduler: Scheduler, maximumBodyBytes: Int) async throws -> SubmitResponse {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maximumBodyBytes {
            // Refused before reading: the body is drained unread after the answer.
            throw APIError(.contentTooLarge, "the request body is \(declared) bytes, more than \(maximumBodyBytes); send fewer tasks per request")
        }
        let bytes = try await request.body.collect(upTo: maximumBodyBytes)
        let body: SubmitRequest
        do {
            body = try JSONDecoder().decode(SubmitRequest.self, from: bytes)
        } catch let error as DecodingError {
            throw APIError.decoding(error)
        }
        guard !body.tasks.isEmpty else { throw APIError(.badRequest, "no tasks in the request", field: "tasks") }
        guard body.tasks.count <= maximumTasksPerRequest else {
            throw APIError(.contentTooLarge, "\(body.tasks.count) tasks; at most \(maximumTasksPerRequest) per request", field: "tasks")
        }
        let now = Date().timeIntervalSince1970
        var tasks: [InferenceTask] = []
        for (index, task) in body.tasks.enumerated() {
            do {
                tasks.append(try task.inferenceTask(now: now))
            } catch {
                throw APIError(.badRequest, error.message, field: "tasks[\(index)].\(error.field)")
            }
        }
        let outcomes: [TaskJournal.Submission]
        do {
            outcomes = try await scheduler.submit(tasks)
        } catch let error as SchedulerError {
            throw APIError(.badRequest, error.description, field: field(of: error, in: tasks))
        }
        return SubmitResponse(tasks: zip(tasks, outcomes).map { task, outcome in
            switch outcome {
            case .accepted: SubmitResponse.Outcome(id: task.id, status: "accepted", state: TaskState.queued.rawValue)
            case .duplicate(let state): SubmitResponse.Outcome(id: task.id, status: "duplicate", state: state.rawValue)
            }
        })
    }

    /// The task's record once it has finished, or nil when `seconds` pass first. The wait ends
    /// with the request: the scheduler forgets a waiter whose request is gone.
    static func longPoll(_ id: String, seconds: Double, scheduler: Scheduler, journal: TaskJournal) async throws -> TaskRecord? {
        let finished = await withTaskGroup(of: TaskRecord?.self) { group in
            group.addTask { try? await scheduler.result(of: id) }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let finished { return finished }
        return try await journal.record(id)
    }

    /// The path's task id, percent-decoded and checked like a submitted one.
    static func taskID(_ raw: String) throws -> String {
        guard let id = raw.removingPercentEncoding else { throw APIError(.badRequest, "'\(raw)' is not a valid percent-encoded path segment", field: "id") }
        if let problem = TaskID.problem(with: id) { throw APIError(.badRequest, problem, field: "id") }
        return id
    }

    /// Query parameter `name` as an integer in `range`; `fallback` when absent; 400 naming it otherwise.
    static func query(_ request: Request, _ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(.badRequest, "'\(text)' is not an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return value
    }

    /// `?wait=S`: seconds, 0 or more (more than `maximumWaitSeconds` waits that long); 0 when absent.
    static func waitSeconds(_ request: Request) throws -> Double {
        guard let text = request.uri.queryParameters.get("wait") else { return 0 }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            throw APIError(.badRequest, "'\(text)' is not a number of seconds (0 or more; at most \(Int(maximumWaitSeconds)) are waited)", field: "wait")
        }
        return min(seconds, maximumWaitSeconds)
    }

    /// Which request field a scheduler refusal is about.
    private static func field(of error: SchedulerError, in tasks: [InferenceTask]) -> String? {
        let (id, field) = switch error {
        case .unknownModel(let task, _, _): (task, "model")
        case .badInput(let task, _): (task, "input")
        case .priorityOutOfRange(let task, _): (task, "priority")
        }
        return tasks.firstIndex { $0.id == id }.map { "tasks[\($0)].\(field)" }
    }
}

extension SubmitResponse: ResponseEncodable {}
extension TaskView: ResponseEncodable {}
extension TaskList: ResponseEncodable {}
extension ControllerStatus: ResponseEncodable {}
