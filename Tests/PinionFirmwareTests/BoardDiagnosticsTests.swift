import PinionBoards
import PinionEmulator
@testable import PinionFirmware
import PinionUSB
import Testing

/// `pinion diag`'s checks on emulated boards in good and bad states.
@Suite("Board diagnostics")
struct BoardDiagnosticsTests {
    static func check(_ report: BoardReport, _ name: String) -> DiagnosticCheck? { report.checks.first { $0.name == name } }

    @Test func aHealthyRunningBoardPasses() async throws {
        let host = EmulatedUSBHost()
        _ = DFUFlasherTests.board("D-1", on: host, ports: [1])
        let info = try #require(try host.devices(readStrings: true).first)
        let report = await BoardDiagnostics(host: host, catalogue: DFUFlasherTests.catalogue).diagnose(info)
        #expect(report.verdict == .pass, "\(report.checks)")
        #expect(Self.check(report, "dfu")?.detail.contains("appIDLE") == true)
        // Sensor readings and the self-test need the board protocol: pinion diag adds them (DiagSensorTests).
        #expect(Self.check(report, "sensors") == nil && Self.check(report, "self-test") == nil, "\(report.checks)")
    }

    @Test func aBootloaderLeftInErrorByAFailedFlashWarnsWithTheStatusMeaning() async throws {
        let host = EmulatedUSBHost()
        let board = DFUFlasherTests.board("D-2", on: host, ports: [1], mode: .bootloader)
        var behaviour = board.dfuBehaviour
        behaviour.failBlock = 0
        board.dfuBehaviour = behaviour
        board.reenumerate(as: .bootloader)
        _ = try? await DFUFlasher(host: host, catalogue: DFUFlasherTests.catalogue).flash(serial: "D-2", image: [1, 2, 3])
        let info = try #require(try host.devices(readStrings: true).first)
        let report = await BoardDiagnostics(host: host, catalogue: DFUFlasherTests.catalogue).diagnose(info)
        #expect(report.verdict == .warn)
        #expect(Self.check(report, "mode")?.detail.contains("run pinion flash") == true)
        let dfu = try #require(Self.check(report, "dfu"))
        #expect(dfu.verdict == .warn && dfu.detail.contains("errWRITE") && dfu.detail.contains(DFUStatusCode.errWrite.meaning))
    }

    @Test func slowLinksWarnAndUnknownDevicesFail() {
        #expect(BoardDiagnostics.speedCheck(.full).verdict == .warn)
        #expect(BoardDiagnostics.speedCheck(.full).detail.contains("USB 2 or 3 port"))
        #expect(BoardDiagnostics.speedCheck(.superSpeed).verdict == .pass)
    }

    @Test func aBoardThatCannotBeOpenedFailsWithTheReason() async throws {
        let host = EmulatedUSBHost()
        let location = host.attach(EmulatedUSBDevice(id: USBID(vendor: 0x1209, product: 0x0002), manufacturer: "Pinion",
                                                     product: "Pinion EMU-NPU S", serial: "D-3", interfaces: []), ports: [1])
        host.device(at: location.ports)?.denyOpen()
        let info = try #require(try host.devices(readStrings: true).first)
        let report = await BoardDiagnostics(host: host, catalogue: DFUFlasherTests.catalogue).diagnose(info)
        #expect(report.verdict == .fail)
        #expect(Self.check(report, "access")?.detail.contains("udev") == true, "\(report.checks)")
    }
}
