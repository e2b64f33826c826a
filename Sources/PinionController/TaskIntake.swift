import Crypto
import Foundation
import PinionScheduler
import PinionUpstream

/// Takes inference tasks from an MQTT topic (a shared subscription `$share/<group>/<topic>` lets a
/// fleet of gateways split one stream) and publishes each task's result once, through the outbox.
///
/// A task message is the JSON of one API task: `{"id": "...", "model": "digits", "input": [...],
/// "priority": 0, "deadline": unix-s, "reply_to": "topic"}`; `id` is required (it makes
/// redeliveries harmless). The answer (`TaskView` JSON plus `gateway`) goes to `reply_to` or the
/// gateway's results topic. A message that is not a task is answered with `{"id", "error",
/// "field"}`, to its `reply_to` when it has a usable one, never dropped in silence; a message over
/// `maxTaskBytes` is refused unread. Every answer, error or result, goes through the outbox's
/// record of intake. A task is computed once: an id that comes again (a redelivery, or a requester
/// that got no answer and sends it again) is answered again from the journal, a refused message
/// once. Received tasks are recorded with the outbox, so after a restart the answers still owed
/// are sent when their tasks finish.
public actor TaskIntake {
    /// The default `[upstream] tasks_max_bytes`.
    public static let defaultMaxTaskBytes = 1 << 20

    private let scheduler: Scheduler
    private let outbox: Outbox
    private let publisher: UpstreamPublisher
    public nonisolated let subscription: String
    public nonisolated let resultsTopic: String
    private let gateway: String
    private let maxTaskBytes: Int
    public private(set) var received = 0
    public private(set) var rejected = 0

    public init(scheduler: Scheduler, outbox: Outbox, publisher: UpstreamPublisher, subscription: String, resultsTopic: String, gateway: String,
                maxTaskBytes: Int = TaskIntake.defaultMaxTaskBytes) {
        self.scheduler = scheduler
        self.outbox = outbox
        self.publisher = publisher
        self.subscription = subscription
        self.resultsTopic = resultsTopic
        self.gateway = gateway
        self.maxTaskBytes = maxTaskBytes
    }

    /// Answers what the last run owed, then subscribes.
    public func start() async throws {
        for pending in try await outbox.pendingIntake() {
            Task { await self.answer(pending.taskID, replyTo: pending.replyTo) }
        }
        // The publisher keeps the intake for as long as it delivers the subscription.
        await publisher.subscribe(subscription) { topic, payload in await self.receive(topic: topic, payload) }
    }

    /// One message from the task topic.
    public func receive(topic: String, _ payload: [UInt8]) async {
        received += 1
        guard payload.count <= maxTaskBytes else {
            // Not decoded at all: its size alone refuses it (its reply_to is not read either).
            return await reject(payload, TaskRejection(field: "", "a message of \(payload.count) bytes is over tasks_max_bytes (\(maxTaskBytes)); not read"),
                                on: topic, replyTo: nil)
        }
        let envelope = try? JSONDecoder().decode(IntakeEnvelope.self, from: Data(payload))
        let replyTo = envelope?.usableReplyTo
        let message: IntakeMessage
        do {
            message = try JSONDecoder().decode(IntakeMessage.self, from: Data(payload))
        } catch let error as DecodingError {
            let (field, why) = DecodingProblem.describe(error)
            return await reject(payload, TaskRejection(field: field ?? "", "not a task (\(why))"), on: topic, replyTo: replyTo, id: envelope?.validID)
        } catch {
            return await reject(payload, TaskRejection(field: "", "not a task (\(error))"), on: topic, replyTo: replyTo)
        }
        if let topicProblem = message.replyTo.flatMap(IntakeEnvelope.topicProblem) {
            return await reject(payload, TaskRejection(field: "reply_to", topicProblem), on: topic, replyTo: nil, id: envelope?.validID)
        }
        let task: InferenceTask
        do {
            task = try message.task.inferenceTask()
        } catch {
            return await reject(payload, error, on: topic, replyTo: replyTo, id: envelope?.validID)
        }
        let answerTo = replyTo ?? resultsTopic
        // Journaled before it is recorded as received: the journal takes an id once, so a task it
        // has already is not run again, and a task whose receipt a kill -9 recorded before the
        // journal had it is taken now, when it comes again.
        do {
            _ = try await scheduler.submit([task])
        } catch {
            rejected += 1
            guard (try? await outbox.recordIntake(taskID: task.id, replyTo: answerTo)) == true else { return }
            return await queue(id: task.id, replyTo: answerTo, IntakeAnswer(id: task.id, error: "\(topic): task \(task.id): \(error)", gateway: gateway))
        }
        guard let first = try? await outbox.recordIntake(taskID: task.id, replyTo: answerTo) else { return }
        Task { await self.answer(task.id, replyTo: answerTo, again: !first) }
    }

    /// Answers when the task has its result. `again`: the id came before (a redelivery, or a
    /// requester that got no answer sending it again): the result in the journal is sent once more.
    private func answer(_ id: String, replyTo: String, again: Bool = false) async {
        guard let record = try? await scheduler.result(of: id) else { return }
        var answer = IntakeAnswer(TaskView(record))
        answer.gateway = gateway
        guard again else { return await queue(id: id, replyTo: replyTo, answer) }
        guard (try? await outbox.answerIntakeAgain(taskID: id, (replyTo, Self.encode(answer)))) == true else { return }
        await publisher.wake()
    }

    /// Answers a message refused before it became a task, once however often it is delivered:
    /// the intake record is keyed by the message's SHA-256 (not its id, so that the same id sent
    /// again corrected is still taken).
    private func reject(_ payload: [UInt8], _ rejection: TaskRejection, on topic: String, replyTo: String?, id: String? = nil) async {
        rejected += 1
        let key = "message-sha256:" + SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
        let answerTo = replyTo ?? resultsTopic
        let field = rejection.field.isEmpty ? nil : rejection.field
        let reason = "\(topic): " + (id.map { "task \($0): " } ?? "") + (field.map { "\($0): " } ?? "") + rejection.message
        var answer = IntakeAnswer(id: id ?? "", error: reason, gateway: gateway)
        answer.field = field
        guard (try? await outbox.recordIntake(taskID: key, replyTo: answerTo)) == true else { return }
        await queue(id: key, replyTo: answerTo, answer)
    }

    private func queue(id: String, replyTo: String, _ answer: IntakeAnswer) async {
        guard (try? await outbox.answerIntake(taskID: id, (replyTo, Self.encode(answer)))) == true else { return }
        await publisher.wake()
    }

    static func encode(_ answer: IntakeAnswer) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(answer)) ?? Data())
    }
}

/// What can be read of a message that may not be a task: its reply address and id, each only
/// when usable (a topic one can publish to; an id that follows `TaskID`'s rule).
struct IntakeEnvelope: Decodable {
    var id: String?
    var replyTo: String?

    enum CodingKeys: String, CodingKey { case id, replyTo = "reply_to" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try? container.decodeIfPresent(String.self, forKey: .id)
        replyTo = try? container.decodeIfPresent(String.self, forKey: .replyTo)
    }

    var usableReplyTo: String? { replyTo.flatMap { Self.topicProblem($0) == nil ? $0 : nil } }
    var validID: String? { id.flatMap { TaskID.problem(with: $0) == nil ? $0 : nil } }

    /// Why `topic` cannot be published to, or nil.
    static func topicProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "is empty" }
        if topic.utf8.count > 1024 { return "is \(topic.utf8.count) bytes long; at most 1024" }
        if topic.contains("+") || topic.contains("#") || topic.utf8.contains(0) { return "may not contain +, # or NUL (one publishes to a topic, not a filter)" }
        return nil
    }
}

/// A task as it arrives on the task topic.
struct IntakeMessage: Decodable {
    var id: String
    var task: SubmitRequest.Task
    var replyTo: String?

    enum CodingKeys: String, CodingKey { case id, replyTo = "reply_to" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        replyTo = try container.decodeIfPresent(String.self, forKey: .replyTo)
        task = try SubmitRequest.Task(from: decoder)
    }
}

/// What goes back: the task as the API shows it, or an error, and which gateway answered.
struct IntakeAnswer: Encodable {
    var task: TaskView?
    var id: String
    var error: String?
    /// The message's field at fault, for an error.
    var field: String?
    var gateway: String?

    init(_ view: TaskView) {
        task = view
        id = view.id
        error = view.error
    }

    init(id: String, error: String, gateway: String) {
        self.id = id
        self.error = error
        self.gateway = gateway
    }

    func encode(to encoder: any Encoder) throws {
        if let task { try task.encode(to: encoder) }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encodeIfPresent(gateway, forKey: .gateway)
    }

    enum Keys: String, CodingKey { case id, error, field, gateway }
}
