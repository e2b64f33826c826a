import ArgumentParser
import Foundation
import PinionController
import PinionModels
import PinionScheduler

/// `pinion submit MODEL INPUT`: hands an inference task to the running controller.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit an inference task to the running controller (pinion run).",
        discussion: """
            INPUT is a file of int8 values (raw bytes), or digits:N for image N of the bundled digit test \
            split. The same --id submitted twice is one task. With --wait, prints the result when it is ready.
            """)

    @OptionGroup var api: APIClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The model id (pinion status lists the models).") var model: String
    @Argument(help: "An input file of int8 values, or digits:N.") var input: String

    @Option(help: "The task's id (default: a new UUID).") var id: String?
    @Option(help: "Higher runs first.") var priority: Int = 0
    @Option(help: ArgumentHelp("Seconds from now after which the result is no longer wanted.", valueName: "seconds")) var deadline: Double?
    @Flag(help: "Wait for the result and print it.") var wait = false
    @Option(help: ArgumentHelp("With --wait: give up after this many seconds (the task stays queued).", valueName: "seconds")) var timeout = 300.0

    func validate() throws {
        if let id, let problem = TaskID.problem(with: id) { throw ValidationError("--id \(problem)") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a number of seconds greater than 0") }
    }

    func run() async throws {
        let values = try Self.loadInput(input)
        let client = try api.client()
        let taskID = id ?? UUID().uuidString
        let request = SubmitRequest(tasks: [.init(id: taskID, model: model, input: values, priority: priority,
                                                  deadline: deadline.map { Date().timeIntervalSince1970 + $0 })])
        let response = try call { try client.post("/v1/tasks", request, as: SubmitResponse.self) }
        guard let outcome = response.tasks.first else { throw CommandError("the controller returned no outcome") }
        guard wait else {
            if output.json { try JSONOutput.print(outcome) } else { print("\(outcome.id): \(outcome.status) (\(outcome.state))") }
            return
        }
        let deadline = Date().addingTimeInterval(timeout)
        var view = try call { try client.get("/v1/tasks/\(taskID)?wait=\(min(timeout, 60))", as: TaskView.self, timeout: min(timeout, 60) + 30) }
        while view.state == "queued" || view.state == "running" {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                throw CommandError("\(taskID): no result within \(Int(timeout)) s (it is \(view.state); pinion tasks \(taskID) shows it later)")
            }
            view = try call { try client.get("/v1/tasks/\(taskID)?wait=\(min(left, 60))", as: TaskView.self, timeout: min(left, 60) + 30) }
        }
        if output.json { try JSONOutput.print(view); return }
        if let error = view.error { throw CommandError("\(taskID): failed: \(error)") }
        var answer = view.prediction.map { "class \($0), " } ?? ""
        if let label = try Self.expectedLabel(input) {
            answer += "expected \(label)" + (view.prediction.map { $0 == label ? " (right), " : " (wrong), " } ?? ", ")
        }
        print("\(taskID): \(answer)output \(view.output ?? []) from \(view.board ?? "?") in \(view.computeMicroseconds ?? 0) µs")
    }

    /// The label of a `digits:N` input in the test split; nil for an input file.
    static func expectedLabel(_ text: String) throws -> Int? {
        guard text.hasPrefix("digits:"), let index = Int(text.dropFirst(7)) else { return nil }
        let split = try DigitsDataset.testSplit()
        return split.indices.contains(index) ? split[index].label : nil
    }

    static func loadInput(_ text: String) throws -> [Int] {
        if text.hasPrefix("digits:") {
            guard let index = Int(text.dropFirst(7)) else { throw ValidationError("'\(text)': expected digits:N") }
            let split = try DigitsDataset.testSplit()
            guard split.indices.contains(index) else { throw ValidationError("'\(text)': the digit test split has images 0-\(split.count - 1)") }
            return split[index].input.map(Int.init)
        }
        guard let data = FileManager.default.contents(atPath: text) else { throw ValidationError("cannot read input file \(text)") }
        return data.map { Int(Int8(bitPattern: $0)) }
    }
}

/// Runs an API call, turning its failure into a one-line command error.
func call<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let failure as ControllerClient.Failure {
        throw CommandError(failure.description)
    }
}
