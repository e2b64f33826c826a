import Foundation
import PinionScheduler
import PinionUpstream

/// Takes inference tasks from an MQTT topic (a shared subscription `$share/<group>/<topic>` lets a
/// fleet of gateways split one stream) and publishes each task's result once, through the outbox.
///
/// A task message is the JSON of one API task: `{"id": "...", "model": "digits", "input": [...],
/// "priority": 0, "deadline": unix-s, "reply_to": "topic"}`; `id` is required (it makes
/// redeliveries harmless). The answer (`TaskView` JSON plus `gateway`) goes to `reply_to` or the
/// gateway's results topic. A message that is not a task is answered with `{"id", "error"}` on the
/// results topic, never dropped in silence. Received tasks are recorded with the outbox, so after
/// a restart the answers still owed are sent when their tasks finish.
public actor TaskIntake {
    private let scheduler: Scheduler
    private let outbox: Outbox
    private let publisher: UpstreamPublisher
    public nonisolated let subscription: String
    public nonisolated let resultsTopic: String
    private let gateway: String
    public private(set) var received = 0
    public private(set) var rejected = 0

    public init(scheduler: Scheduler, outbox: Outbox, publisher: UpstreamPublisher, subscription: String, resultsTopic: String, gateway: String) {
        self.scheduler = scheduler
        self.outbox = outbox
        self.publisher = publisher
        self.subscription = subscription
        self.resultsTopic = resultsTopic
        self.gateway = gateway
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
        let message: IntakeMessage
        do {
            message = try JSONDecoder().decode(IntakeMessage.self, from: Data(payload))
        } catch {
            return await reject(id: nil, "\(topic): not a task (\(Self.describe(error)))")
        }
        guard !message.id.isEmpty else { return await reject(id: nil, "\(topic): the task has an empty id") }
        guard let task = message.task.inferenceTask() else {
            return await reject(id: message.id, "\(topic): task \(message.id): input values must be int8 (-128...127)")
        }
        let replyTo = message.replyTo ?? resultsTopic
        do {
            guard try await outbox.recordIntake(taskID: task.id, replyTo: replyTo) else { return }
            _ = try await scheduler.submit([task])
        } catch {
            return await reject(id: task.id, "\(topic): task \(task.id): \(error)", replyTo: replyTo)
        }
        Task { await self.answer(task.id, replyTo: replyTo) }
    }

    private func answer(_ id: String, replyTo: String) async {
        guard let record = try? await scheduler.result(of: id) else { return }
        var answer = IntakeAnswer(TaskView(record))
        answer.gateway = gateway
        await queue(id: id, replyTo: replyTo, answer)
    }

    private func reject(id: String?, _ reason: String, replyTo: String? = nil) async {
        rejected += 1
        var answer = IntakeAnswer(id: id ?? "", error: reason)
        answer.gateway = gateway
        if let id, let replyTo {
            await queue(id: id, replyTo: replyTo, answer)
            return
        }
        do {
            try await outbox.enqueue([(resultsTopic, Self.encode(answer))])
            await publisher.wake()
        } catch {}
    }

    private func queue(id: String, replyTo: String, _ answer: IntakeAnswer) async {
        guard (try? await outbox.answerIntake(taskID: id, (replyTo, Self.encode(answer)))) == true else { return }
        await publisher.wake()
    }

    static func encode(_ answer: IntakeAnswer) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(answer)) ?? Data())
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): context.debugDescription
        default: "\(error)"
        }
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
    var gateway: String?

    init(_ view: TaskView) {
        task = view
        id = view.id
        error = view.error
    }

    init(id: String, error: String) {
        self.id = id
        self.error = error
    }

    func encode(to encoder: any Encoder) throws {
        if let task { try task.encode(to: encoder) }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(gateway, forKey: .gateway)
    }

    enum Keys: String, CodingKey { case id, error, gateway }
}
