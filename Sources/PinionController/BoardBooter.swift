import Foundation
import PinionBoards
import PinionFirmware
import PinionUSB

/// Boots a board whose firmware lives in RAM (`flash.boot_on_attach`: the Coral USB Accelerator)
/// when it shows up in its bootloader, in the order the vendor runtime (libedgetpu) does it: claim
/// the DFU interface, download the firmware file in blocks of the bootloader's transfer size with a
/// GETSTATUS after each and an empty block to end it, read it back where the bootloader can upload,
/// then reset the port; the board re-enumerates with its run-time ids. The DFU steps are
/// `DFUFlasher`'s, which follows the board across the re-enumeration by its serial number.
///
/// The firmware file is the site's (`flash.boot_firmware`): Pinion does not ship the vendor's image.
struct BoardBooter: Sendable {
    let flasher: DFUFlasher

    /// Why a board was not booted, on one line that names the key and the file.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Downloads `board`'s boot firmware into the board with `serial` and waits for it to come back
    /// in its run-time identity.
    func boot(serial: String, board: BoardDescriptor) async -> Result<DFUFlashResult, Failure> {
        let image: [UInt8]
        switch Self.firmware(of: board) {
        case .success(let bytes): image = bytes
        case .failure(let failure): return .failure(failure)
        }
        do {
            return .success(try await flasher.flash(serial: serial, image: image, verify: true))
        } catch {
            return .failure(Failure(description: "the boot download of \(board.flash.bootFirmware ?? "?") failed at \(error.stage.rawValue): \(error.reason)"))
        }
    }

    /// The bytes of `board`'s `flash.boot_firmware`, or why there are none.
    static func firmware(of board: BoardDescriptor) -> Result<[UInt8], Failure> {
        guard let path = board.flash.bootFirmware else {
            return .failure(Failure(description: "flash.boot_firmware is not set in \(board.source): copy the vendor's firmware file onto the gateway and name it there (docs/boards.md)"))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return .failure(Failure(description: "flash.boot_firmware in \(board.source) names \(path), which does not exist or is not a file"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(Failure(description: "flash.boot_firmware in \(board.source) names \(path), which cannot be read"))
        }
        guard !data.isEmpty else {
            return .failure(Failure(description: "flash.boot_firmware in \(board.source) names \(path), which is empty"))
        }
        return .success([UInt8](data))
    }
}
