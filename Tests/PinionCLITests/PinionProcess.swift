import Foundation
import PinionTestSupport

/// Runs the built `pinion` executable as a user would, capturing its output and exit status.
struct PinionProcess {
    typealias Outcome = ProgramRun

    /// The `pinion` binary next to the test bundle (SwiftPM builds both into the same directory).
    static let executable = BuiltExecutable.url(named: "pinion")

    static let repositoryRoot = BuiltExecutable.repositoryRoot

    /// Runs `pinion arguments…` to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Double? = nil) throws -> Outcome {
        try ProgramRun(executable.path, arguments, environment: environment, timeoutSeconds: timeoutSeconds)
    }

    /// Parses stdout as JSON.
    static func json(_ arguments: [String]) throws -> Any {
        let outcome = try run(arguments)
        guard outcome.status == 0 else {
            throw CLIError("pinion \(arguments.joined(separator: " ")) exited \(outcome.status): \(outcome.stderr)")
        }
        return try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
