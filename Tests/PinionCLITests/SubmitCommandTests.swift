import Foundation
import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
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

/// `pinion submit --wait --timeout S` gives up after S seconds when the task does not finish
/// (here: the gateway is over its power budget, so nothing is placed), with a clear message.
@Suite("pinion submit --wait: a result that does not come")
struct SubmitWaitTests {
    @Test func theWaitEndsAtItsTimeout() async throws {
        try await BlockingCall.run("wait scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let gateway = try TestGateway("wait", scheduler: "power_budget_w = 0.1")
        defer { gateway.remove() }
        let controller = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
        defer { controller.terminate(); controller.waitUntilExit() }
        for _ in 0..<200 where (try? gateway.client.get("/v1/status", as: SchedulerStatus.self))?.overPowerBudget != true {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try gateway.client.get("/v1/status", as: SchedulerStatus.self).overPowerBudget)

        let submit = Process()
        submit.executableURL = PinionProcess.executable
        submit.arguments = ["submit", "--socket", gateway.socket, "digits", "digits:1", "--id", "held", "--wait", "--timeout", "2"]
        let errors = Pipe()
        submit.standardOutput = FileHandle.nullDevice
        submit.standardError = errors
        let started = Date()
        try submit.run()
        while submit.isRunning && Date().timeIntervalSince(started) < 30 { Thread.sleep(forTimeInterval: 0.05) }
        let took = Date().timeIntervalSince(started)
        if submit.isRunning { submit.terminate() }
        submit.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(took < 10, "pinion submit --wait --timeout 2 took \(took) s")
        #expect(submit.terminationStatus != 0)
        #expect(message.contains("held: no result within 2 s"), "\(message)")
        let view = try gateway.client.get("/v1/tasks/held", as: TaskView.self)
        #expect(view.state == "queued", "the task stays queued: \(view.state)")
    }
}

/// `pinion submit digits:N --wait` prints the image's label from the test split beside the
/// predicted class, so a technician sees at once whether the answer is right.
@Suite("pinion submit: the expected label of a digit image")
struct SubmitExpectedLabelTests {
    @Test func theLabelIsPrintedBesideThePrediction() async throws {
        try await BlockingCall.run("label scenario") { try Self.scenario() }
    }

    static func scenario() throws {
        let gateway = try TestGateway("label")
        defer { gateway.remove() }
        let controller = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
        defer { controller.terminate(); controller.waitUntilExit() }
        let label = try DigitsDataset.testSplit()[7].label
        let outcome = try PinionProcess.run(["submit", "--socket", gateway.socket, "digits", "digits:7", "--wait", "--timeout", "30"],
                                            timeoutSeconds: 60)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.range(of: #"class \d, expected \#(label) \((right|wrong)\), output"#, options: .regularExpression) != nil,
                "\(outcome.stdout)")
    }
}
