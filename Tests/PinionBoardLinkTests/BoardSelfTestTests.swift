import Foundation
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionModels
import Testing

/// The diag self-test against the emulated NPU boards: a sound board passes bit-exact, a board
/// whose NPU answers wrong outputs fails with the first mismatch named.
@Suite("Board self-test")
struct BoardSelfTestTests {
    let gateway: SimulatedGateway

    init() throws {
        gateway = SimulatedGateway(catalogue: try BoardCatalogue.load(directories: [EmulatedBoardLinkTests.root.appendingPathComponent("boards").path]))
    }

    func selfTest(measureFor: Duration) throws -> BoardSelfTest {
        let vectors = try DigitsDataset.testSplit().map {
            BoardSelfTest.Vector(input: $0.input.map { UInt8(bitPattern: $0) }, expected: $0.referenceLogits.map { UInt8(bitPattern: $0) })
        }
        return BoardSelfTest(modelID: "selftest", model: try DigitsDataset.modelBytes(), vectors: vectors, measureFor: measureFor)
    }

    func connect(_ serial: String) throws -> BoardConnection {
        let info = try #require(try gateway.usb.devices(readStrings: true).first { $0.strings?.serialNumber == serial })
        return try BoardConnection(device: try gateway.usb.open(info.location), defaultTimeout: .seconds(5))
    }

    @Test func soundBoardPassesBitExactWithFiguresAndUnloads() async throws {
        defer { gateway.shutdown() }
        let link = try connect("EMU-S-0001")
        defer { link.close() }
        let report = await try selfTest(measureFor: .milliseconds(300)).run(on: link)
        #expect(report.passed, "\(report.summary)")
        #expect(report.vectors == 540 && report.mismatches == 0)
        #expect(report.measuredInferences > 10)
        #expect(report.inferencesPerSecond > 0 && report.medianRoundTripMilliseconds > 0)
        #expect(report.maxRoundTripMilliseconds >= report.medianRoundTripMilliseconds)
        #expect(report.trace.map(\.step) == ["hello", "load", "vectors", "measure", "unload"])
        #expect(try await link.hello().loadedModels.isEmpty, "the self-test leaves no model loaded")
    }

    @Test func boardWithWrongOutputsFailsAndSaysWhichVector() async throws {
        defer { gateway.shutdown() }
        let board = try #require(gateway.boards.first { $0.serial == "EMU-S-0002" })
        board.wrongOutputs = true
        let link = try connect("EMU-S-0002")
        defer { link.close() }
        let report = await try selfTest(measureFor: .zero).run(on: link)
        #expect(!report.passed)
        #expect(report.mismatches == 540)
        #expect(report.firstMismatch?.hasPrefix("vector 0:") == true)
        #expect(report.summary.contains("not bit-exact"))
        #expect(try await link.hello().loadedModels.isEmpty)
    }
}
