import Foundation
import PinionController

extension FuzzTarget {
    /// A `POST /v1/tasks` body as the API takes it: Hummingbird's request decoder (a `JSONDecoder`)
    /// into `SubmitRequest`, then each task to the scheduler's `InferenceTask` (which checks its
    /// id, model and priority and throws a `TaskRejection` for any it refuses).
    static let apiTasks = FuzzTarget(name: "api-tasks",
                                     summary: "SubmitRequest JSON (POST /v1/tasks), Task.inferenceTask()") { bytes in
        guard let request = try? JSONDecoder().decode(SubmitRequest.self, from: Data(bytes)) else { return }
        for task in request.tasks { _ = try? task.inferenceTask() }
    }
}
