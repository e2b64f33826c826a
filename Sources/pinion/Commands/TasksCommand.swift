import ArgumentParser
import Foundation
import PinionController

/// `pinion tasks`: the most recent tasks of the running controller, or one task.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tasks", abstract: "Show recent tasks of the running controller, or one task.")

    @OptionGroup var api: APIClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "A task id: show just that task.") var id: String?
    @Option(help: "How many recent tasks.") var limit = 20

    func run() async throws {
        let client = try api.client()
        if let id {
            let view = try call { try client.get("/v1/tasks/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)", as: TaskView.self) }
            if output.json { try JSONOutput.print(view) } else { print(Self.table([view])) }
            return
        }
        let list = try call { try client.get("/v1/tasks?limit=\(limit)", as: TaskList.self) }
        if output.json { try JSONOutput.print(list); return }
        print(Self.table(list.tasks))
        print(list.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    static func table(_ tasks: [TaskView]) -> String {
        var table = TextTable("ID", "MODEL", "STATE", "PRIO", "BOARD", "ANSWER", "COMPUTE")
        table.rows = tasks.map { task in
            [task.id, task.model, task.state, "\(task.priority)", task.board ?? "-", task.prediction.map { "class \($0)" } ?? (task.error ?? "-"),
             task.computeMicroseconds.map { "\($0) µs" } ?? "-"]
        }
        return table.render()
    }
}
