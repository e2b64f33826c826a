import Foundation
import PinionBoardFirmware
import PinionModels
import PinionTestSupport
import Testing

/// The exec backend against the reference worker (`pinion-board worker`), a real process on
/// real pipes: what a vendor runtime's worker plugs into.
@Suite("pinion-board exec backend")
struct ExecBackendTests {
    /// The `pinion-board` binary next to the test bundle (SwiftPM builds both into one directory).
    static let worker = BuiltExecutable.url(named: "pinion-board").path

    @Test func theWorkerRunsTheTestSplitBitExactAndSurvivesBeingKilled() throws {
        let (model, vectors) = try BoardFirmwareTests.digits()
        let backend = ExecBackend(command: [Self.worker, "worker"], modelFormats: ["pinion-int8"])
        defer { backend.stop() }
        #expect(try backend.load(id: "digits", bytes: model) == nil)
        for vector in vectors.prefix(200) {
            #expect(try backend.infer(id: "digits", input: vector.input) == vector.reference)
        }
        #expect(throws: BackendError(.badInput, "model 'digits' takes 64 int8 inputs, got 2")) {
            try backend.infer(id: "digits", input: [1, 2])
        }
        // The worker dies: the request in flight fails saying so, the next one starts a new worker
        // that has the model again.
        let pid = try #require(backend.workerPID)
        kill(pid, SIGKILL)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(throws: BackendError.self) { try backend.infer(id: "digits", input: vectors[0].input) }
        #expect(try backend.infer(id: "digits", input: vectors[1].input) == vectors[1].reference)
        #expect(backend.workerStarts == 2)
        try backend.unload(id: "digits")
        #expect(throws: BackendError(.unknownModel, "no model 'digits' loaded")) { try backend.infer(id: "digits", input: vectors[0].input) }
    }

    @Test func aWorkerThatCannotStartIsOneClearError() {
        let backend = ExecBackend(command: ["/nonexistent/vendor-runner"], modelFormats: ["vendor"])
        #expect(throws: BackendError.self) { try backend.load(id: "m", bytes: [1, 2, 3]) }
    }
}
