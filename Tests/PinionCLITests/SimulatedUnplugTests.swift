import Foundation
import PinionController
import PinionModels
import PinionScheduler
import PinionSystem
import Testing

/// `pinion run --simulate` unplugs an emulated board on SIGUSR1 and plugs it back on SIGUSR2, and
/// tasks running on a board that leaves are done elsewhere, once.
@Suite("pinion run --simulate: unplug and plug boards at run time")
struct SimulatedUnplugTests {
    @Test func sigusr1UnplugsABoardMidStreamAndSigusr2PlugsItBack() async throws {
        try await BlockingCall.run("unplug") {
            let gateway = try TestGateway("unplug")
            defer { gateway.remove() }
            let process = try ControllerRestartTests.start(config: gateway.config, client: gateway.client)
            defer { process.terminate(); process.waitUntilExit() }
            let client = gateway.client
            let before = try client.get("/v1/status", as: SchedulerStatus.self).boards.map(\.serial)
            let split = try DigitsDataset.testSplit()
            let tasks = (0..<600).map { SubmitRequest.Task(id: "u\($0)", model: "digits", input: split[$0 % split.count].input.map(Int.init)) }
            _ = try client.post("/v1/tasks", SubmitRequest(tasks: tasks), as: SubmitResponse.self)
            kill(process.processIdentifier, SIGUSR1)
            let unplugged = try Self.waitForBoards(client) { $0.count == before.count - 1 }
            let gone = try #require(Set(before).subtracting(unplugged).first)
            kill(process.processIdentifier, SIGUSR2)
            let back = try Self.waitForBoards(client) { Set($0) == Set(before) }
            #expect(back.contains(gone))
            try ControllerRestartTests.waitFor(client, done: 600)
            let list = try client.get("/v1/tasks?limit=1000", as: TaskList.self)
            #expect(list.counts == ["done": 600])
            for view in list.tasks {
                let index = Int(view.id.dropFirst())!
                #expect(view.output == split[index % split.count].referenceLogits.map(Int.init), "\(view.id)")
            }
        }
    }

    private static func waitForBoards(_ client: ControllerClient, until done: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let serials = try client.get("/v1/status", as: SchedulerStatus.self).boards.map(\.serial)
            if done(serials) { return serials }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw CLIError("the boards did not change as expected within 20 s")
    }
}
