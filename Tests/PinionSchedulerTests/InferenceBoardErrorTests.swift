import Foundation
import PinionBoardLink
import PinionModels
import Synchronization
@testable import PinionScheduler
import Testing

/// Throws the errors it is given, one per inference, then answers like `InstantBoard`.
final class ScriptedFailureBoard: InferenceBoard {
    let info: BoardInfo
    var serial: String { info.serial }
    private let failures: Mutex<[InferenceBoardError]>

    init(serial: String, failures: [InferenceBoardError]) {
        info = InstantBoard(serial: serial).info
        self.failures = Mutex(failures)
    }

    func loadModel(id: String, bytes: [UInt8]) async throws {}
    func unloadModel(id: String) async throws {}
    func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        return BoardInferenceResult(output: input, computeMicroseconds: 1)
    }
}

@Suite("Inference board errors")
struct InferenceBoardErrorTests {
    @Test func boardProtocolErrorsMapToWhatTheSchedulerDoes() {
        #expect(InferenceBoardError(.disconnected("unplugged")) == .boardGone("unplugged"))
        #expect(InferenceBoardError(.board(.busy, "2 in flight")) == .busy("2 in flight"))
        #expect(InferenceBoardError(.board(.unknownModel, "no model 'm'")) == .modelMissing("no model 'm'"))
        #expect(InferenceBoardError(.board(.badInput, "takes 64 values")) == .taskFailed("takes 64 values"))
        #expect(InferenceBoardError(.timeout(request: "INFER", seconds: 2)) == .timedOut("no reply to INFER within 2.0 s"))
        #expect(InferenceBoardError(.usb("pipe")) == .boardFault("USB: pipe"))
        #expect(InferenceBoardError(.protocolError("bad crc")) == .boardFault("protocol error: bad crc"))
    }

    @Test func busyTimeoutsFaultsAndMissingModelsRerunTheTask() async throws {
        let (scheduler, path) = try SchedulerPriorityTests.scheduler()
        defer { SchedulerPriorityTests.remove(path) }
        _ = try await scheduler.submit([InferenceTask(id: "t", model: "zero", input: [5])])
        await scheduler.attach(ScriptedFailureBoard(serial: "B1", failures: [.busy("full"), .timedOut("slow"), .boardFault("usb"),
                                                                             .modelMissing("gone")]))
        let record = try await scheduler.result(of: "t")
        #expect(record.state == .done)
        #expect(record.result?.output == [5])
        let statistics = await scheduler.status().statistics
        #expect(statistics.rerun == 4)
        #expect(statistics.modelLoads == 2)
    }

    @Test func aTaskTheBoardRefusesFailsWithTheBoardsReason() async throws {
        let (scheduler, path) = try SchedulerPriorityTests.scheduler()
        defer { SchedulerPriorityTests.remove(path) }
        _ = try await scheduler.submit([InferenceTask(id: "t", model: "zero", input: [5])])
        await scheduler.attach(ScriptedFailureBoard(serial: "B1", failures: [.taskFailed("takes 64 values, got 1")]))
        let record = try await scheduler.result(of: "t")
        #expect(record.state == .failed)
        #expect(record.error == "board B1: takes 64 values, got 1")
    }

    @Test func aBoardThatIsGoneIsDetachedAndItsTaskRunsElsewhere() async throws {
        let (scheduler, path) = try SchedulerPriorityTests.scheduler()
        defer { SchedulerPriorityTests.remove(path) }
        await scheduler.attach(ScriptedFailureBoard(serial: "B1", failures: [.boardGone("unplugged")]))
        _ = try await scheduler.submit([InferenceTask(id: "t", model: "zero", input: [5])])
        await scheduler.attach(InstantBoard(serial: "B2"))
        let record = try await scheduler.result(of: "t")
        #expect(record.result?.board == "B2")
        #expect(await scheduler.status().boards.map(\.serial) == ["B2"])
    }
}
