import Foundation
import PinionBoards
import Testing

/// `flash.boot_firmware`: the vendor image a RAM-only board (the Coral) is booted with, supplied by
/// the site in an /etc/pinion/boards override, absolute or relative to that file's directory.
@Suite("Boot firmware key")
struct BootFirmwareKeyTests {
    /// The shipped Coral file with `boot_firmware = value` added to its [flash] table, in a directory of its own.
    static func overrideDirectory(bootFirmware value: String) throws -> String {
        let shipped = try String(contentsOfFile: Repository.boards + "/coral-usb-accelerator.toml", encoding: .utf8)
        let text = shipped.replacingOccurrences(of: "boot_on_attach = true", with: "boot_on_attach = true\nboot_firmware = \"\(value)\"")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-boot-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: directory + "/coral-usb-accelerator.toml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func aRelativePathIsResolvedAgainstTheOverridesDirectory() throws {
        let directory = try Self.overrideDirectory(bootFirmware: "firmware/apex_latest_single_ep.bin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards, directory])
        #expect(catalogue.problems.isEmpty, "\(catalogue.problems)")
        #expect(catalogue.board(id: "coral-usb-accelerator")?.flash.bootFirmware == directory + "/firmware/apex_latest_single_ep.bin")
    }

    @Test func anAbsolutePathIsKeptAndTheShippedFileNamesNone() throws {
        let directory = try Self.overrideDirectory(bootFirmware: "/etc/pinion/firmware/apex_latest_single_ep.bin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards, directory])
        #expect(catalogue.board(id: "coral-usb-accelerator")?.flash.bootFirmware == "/etc/pinion/firmware/apex_latest_single_ep.bin")
        let shipped = try BoardCatalogue.load(directories: [Repository.boards])
        #expect(shipped.board(id: "coral-usb-accelerator")?.flash.bootFirmware == nil)
    }
}
