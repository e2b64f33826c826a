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

    /// The board's TELEMETRY and its self-test.
    struct Outcome: Sendable {
        var telemetry: Result<BoardTelemetry, BoardLinkError>
        var selfTest: BoardSelfTestReport
    }

    /// One TELEMETRY reply.
    struct BoardTelemetry: Sendable {
        var celsius: Double
        var watts: Double
    }

    /// Reads the board's TELEMETRY, then runs the self-test on the board at `info`; a board that
    /// cannot be opened fails both.
    static func run(host: any USBHost, info: USBDeviceInfo, measureFor: Duration) async -> Outcome {
        let test: BoardSelfTest
        do {
            let vectors = try DigitsDataset.testSplit().map {
                BoardSelfTest.Vector(input: $0.input.map { UInt8(bitPattern: $0) }, expected: $0.referenceLogits.map { UInt8(bitPattern: $0) })
            }
            test = BoardSelfTest(modelID: modelID, model: try DigitsDataset.modelBytes(), vectors: vectors, measureFor: measureFor)
        } catch {
            var report = BoardSelfTestReport()
            report.error = "the bundled test model is missing: \(error)"
            return Outcome(telemetry: .failure(.protocolError("not read: \(report.error!)")), selfTest: report)
        }
        let connection: BoardConnection
        do {
            connection = try BoardConnection(device: try host.open(info.location), info: info)
        } catch {
            var report = BoardSelfTestReport()
            report.error = "cannot open the board's protocol interface (is pinion run using it?): \(error)"
            return Outcome(telemetry: .failure(.usb(report.error!)), selfTest: report)
        }
        defer { connection.close() }
        let telemetry: Result<BoardTelemetry, BoardLinkError>
        do {
            let reply = try await connection.telemetry()
            telemetry = .success(BoardTelemetry(celsius: reply.celsius, watts: reply.watts))
        } catch let error as BoardLinkError {
            telemetry = .failure(error)
        } catch {
            telemetry = .failure(.protocolError("\(error)"))
        }
        return Outcome(telemetry: telemetry, selfTest: await test.run(on: connection))
    }

    /// The self-test's outcome as a diag check.
    static func check(_ report: BoardSelfTestReport) -> DiagnosticCheck {
        DiagnosticCheck("self-test", report.passed ? .pass : .fail, report.summary)
    }
}
