import Foundation
import PinionBoardLink
import PinionBoards
import PinionFirmware
import PinionModels
import PinionUSB

/// The board-protocol self-test of `pinion diag`: the bundled digit classifier and its 540 test
/// images, whose integer reference logits every board must reproduce bit for bit.
enum DiagSelfTest {
    static let modelID = "pinion-selftest"

    /// Runs the self-test on the board at `info`; a board that cannot be opened fails it.
    static func run(host: any USBHost, info: USBDeviceInfo, measureFor: Duration) async -> BoardSelfTestReport {
        let test: BoardSelfTest
        do {
            let vectors = try DigitsDataset.testSplit().map {
                BoardSelfTest.Vector(input: $0.input.map { UInt8(bitPattern: $0) }, expected: $0.referenceLogits.map { UInt8(bitPattern: $0) })
            }
            test = BoardSelfTest(modelID: modelID, model: try DigitsDataset.modelBytes(), vectors: vectors, measureFor: measureFor)
        } catch {
            var report = BoardSelfTestReport()
            report.error = "the bundled test model is missing: \(error)"
            return report
        }
        let connection: BoardConnection
        do {
            connection = try BoardConnection(device: try host.open(info.location))
        } catch {
            var report = BoardSelfTestReport()
            report.error = "cannot open the board's protocol interface (is pinion run using it?): \(error)"
            return report
        }
        defer { connection.close() }
        return await test.run(on: connection)
    }

    /// The self-test's outcome as a diag check.
    static func check(_ report: BoardSelfTestReport) -> DiagnosticCheck {
        DiagnosticCheck("self-test", report.passed ? .pass : .fail, report.summary)
    }
}
