import Foundation
import Testing

/// `pinion submit` checks a task id with the same rule as the API before it sends anything.
@Suite("pinion submit: task ids")
struct SubmitCommandTests {
    @Test func anIdOutsideTheRuleIsRefusedBeforeAnythingIsSent() throws {
        for (id, words) in [("a b", "a space"), ("a/b", "'/'"), (String(repeating: "x", count: 129), "129 bytes"), ("", "empty")] {
            let outcome = try PinionProcess.run(["submit", "--socket", "/nonexistent/pinion.sock", "digits", "digits:1", "--id", id])
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("--id") && outcome.stderr.contains(words), "\(id.prefix(10)): \(outcome.stderr)")
            #expect(!outcome.stderr.contains("cannot reach"), "refused before connecting: \(outcome.stderr)")
        }
    }
}
