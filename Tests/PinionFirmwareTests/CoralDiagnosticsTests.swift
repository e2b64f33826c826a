import Foundation
import PinionBoards
import PinionEmulator
@testable import PinionFirmware
import PinionUSB
import Testing

/// `pinion diag` on a Coral found in its bootloader: the mode check says whether `pinion run` can
/// boot it, naming `flash.boot_firmware` and its file.
@Suite("Coral diagnostics")
struct CoralDiagnosticsTests {
    static func report(bootFirmware: String?) async throws -> DiagnosticCheck? {
        var boards = DFUFlasherTests.catalogue.boards
        if let index = boards.firstIndex(where: { $0.id == "coral-usb-accelerator" }) { boards[index].flash.bootFirmware = bootFirmware }
        let catalogue = BoardCatalogue(boards: boards)
        let host = EmulatedUSBHost()
        _ = DFUFlasherTests.board("C-1", on: host, ports: [1], mode: .bootloader, model: "coral-usb-accelerator")
        let info = try #require(try host.devices(readStrings: true).first)
        let report = await BoardDiagnostics(host: host, catalogue: catalogue).diagnose(info)
        return BoardDiagnosticsTests.check(report, "mode")
    }

    @Test func aCoralWithoutBootFirmwareNamesTheKeyToSet() async throws {
        let mode = try #require(try await Self.report(bootFirmware: nil))
        #expect(mode.verdict == .warn && mode.detail.contains("not booted: flash.boot_firmware is not set"), "\(mode.detail)")
        let missing = try #require(try await Self.report(bootFirmware: "/nonexistent/apex_latest_single_ep.bin"))
        #expect(missing.detail.contains("/nonexistent/apex_latest_single_ep.bin") && missing.detail.contains("does not exist"), "\(missing.detail)")
    }

    @Test func aCoralWithItsFirmwareFileSaysPinionRunBootsIt() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-diag-\(UUID().uuidString).bin").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mode = try #require(try await Self.report(bootFirmware: path))
        #expect(mode.detail.contains("pinion run boots it with \(path)"), "\(mode.detail)")
    }
}
