import Foundation
@testable import PinionController

extension FuzzTarget {
    /// A message on the task topic as `TaskIntake.receive` takes it: its envelope (id, reply_to
    /// and the topic check), `IntakeMessage` JSON, the task's `InferenceTask`, and the one-line
    /// reason a message that is not a task is answered with.
    static let mqttTasks = FuzzTarget(name: "mqtt-tasks",
                                      summary: "TaskIntake's envelope and IntakeMessage JSON, inferenceTask(), DecodingProblem.describe") { bytes in
        let envelope = try? JSONDecoder().decode(IntakeEnvelope.self, from: Data(bytes))
        _ = envelope?.usableReplyTo
        _ = envelope?.validID
        do {
            let message = try JSONDecoder().decode(IntakeMessage.self, from: Data(bytes))
            _ = message.replyTo.flatMap(IntakeEnvelope.topicProblem)
            _ = try? message.task.inferenceTask()
        } catch let error as DecodingError {
            _ = DecodingProblem.describe(error)
        } catch {
            _ = "\(error)"
        }
    }
}
