import Foundation
import PinionSystem
import Testing

/// `pinion run --simulate` with the Coral's `flash.boot_firmware` set in the catalogue boots the
/// simulated gateway's Coral (CORAL-0001, in its bootloader at 1a6e:089a) as it arrives.
@Suite("pinion run: Coral boot on attach")
struct CoralBootRunTests {
    /// The shipped catalogue in a directory of the gateway's, the Coral's file with `boot_firmware` set.
    static func catalogue(in gateway: TestGateway, bootFirmware: String) throws -> String {
        let shipped = PinionProcess.repositoryRoot.appendingPathComponent("boards").path
        let directory = gateway.directory.appendingPathComponent("boards").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: shipped) where file.hasSuffix(".toml") {
            var text = try String(contentsOfFile: shipped + "/" + file, encoding: .utf8)
            if file == "coral-usb-accelerator.toml" {
                text = text.replacingOccurrences(of: "boot_on_attach = true", with: "boot_on_attach = true\nboot_firmware = \"\(bootFirmware)\"")
            }
            try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func theCoralIsBootedAndLinkedInItsBootedIdentity() async throws {
        try await BlockingCall.run("coral boot") {
            let gateway = try TestGateway("coral-boot")
            defer { gateway.remove() }
            let firmware = gateway.directory.appendingPathComponent("apex_latest_single_ep.bin")
            try Data((0..<6000).map { UInt8(truncatingIfNeeded: $0 &* 13) }).write(to: firmware)
            let boards = try Self.catalogue(in: gateway, bootFirmware: firmware.path)
            let daemon = try Daemon(gateway, environment: ["PINION_BOARDS": boards])
            defer { daemon.stop() }
            let text = try daemon.waitUntil { $0.contains("board CORAL-0001 ready") }
            #expect(text.contains("board CORAL-0001 booted: 1a6e:089a → 18d1:9302"), "\(text)")
            #expect(!text.contains("CORAL-0001 gone"), "\(text)")
        }
    }

    @Test func aMissingFirmwareFileIsOneWarningAndTheDaemonRunsOn() async throws {
        try await BlockingCall.run("coral missing firmware") {
            let gateway = try TestGateway("coral-missing")
            defer { gateway.remove() }
            let boards = try Self.catalogue(in: gateway, bootFirmware: "/nonexistent/pinion/apex_latest_single_ep.bin")
            let daemon = try Daemon(gateway, environment: ["PINION_BOARDS": boards])
            defer { daemon.stop() }
            let text = try daemon.waitUntil { $0.contains("CORAL-0001") && $0.contains("not booted") }
            let lines = text.split(separator: "\n").filter { $0.contains("CORAL-0001") && $0.contains("not booted") }
            #expect(lines.count == 1 && lines[0].contains("flash.boot_firmware") && lines[0].contains("/nonexistent/pinion/apex_latest_single_ep.bin"),
                    "\(text)")
            #expect(daemon.process.isRunning)
        }
    }
}
