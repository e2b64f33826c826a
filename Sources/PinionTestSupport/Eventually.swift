/// Waits until `condition` holds, checking it every few milliseconds, at most `timeout`; whether
/// it came to hold. For a test that waits on a condition it cannot be told of (a row leaving a
/// SQLite file, a counter of an actor) instead of sleeping for a guessed time.
public func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}
