import Foundation
@testable import PinionController

extension FuzzTarget {
    /// A message on the task topic as `TaskIntake.receive` takes it: `IntakeMessage` JSON, the
    /// task's `InferenceTask`, and the one-line reason a message that is not a task is answered with.
    static let mqttTasks = FuzzTarget(name: "mqtt-tasks",
                                      summary: "TaskIntake's IntakeMessage JSON, inferenceTask(), TaskIntake.describe(error)") { bytes in
        do {
            let message = try JSONDecoder().decode(IntakeMessage.self, from: Data(bytes))
            _ = message.task.inferenceTask()
        } catch {
            _ = TaskIntake.describe(error)
        }
    }
}
