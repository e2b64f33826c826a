import PinionSystem

extension ProgramRun {
    /// Runs `executable arguments…` to completion on a thread of its own, for async tests.
    ///
    /// The initialiser blocks its thread until the program ends; called from a test it holds one of
    /// the cooperative pool's threads (two on a two-core machine), and every other test waits.
    /// A 19 s `swift package dump-package` run that way once stalled the whole suite for 19 s.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           mergingErrors: Bool = false, timeoutSeconds: Double? = nil) async throws -> ProgramRun {
        try await BlockingCall.run("program \(executable)") {
            try ProgramRun(executable, arguments, environment: environment, mergingErrors: mergingErrors, timeoutSeconds: timeoutSeconds)
        }
    }
}
