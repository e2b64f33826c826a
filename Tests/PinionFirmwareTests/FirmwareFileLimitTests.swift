import Foundation
import PinionBoards
@testable import PinionFirmware
import Testing

/// Files larger than the largest flash in the catalogue are refused from their size, unread; the
/// rest are read once into the image's own buffer.
@Suite("Firmware file size limit")
struct FirmwareFileLimitTests {
    /// A sparse file of `size` bytes (no disk blocks, nothing in memory).
    static func sparseFile(_ size: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sparse-\(UUID().uuidString).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        return path
    }

    @Test func theLimitIsTheCataloguesLargestFlashAndSaysWhereItComesFrom() {
        let limit = FirmwareFileLimit.largestFlash(in: DFUFlasherTests.catalogue)
        #expect(limit.flashBytes == 16 << 20)
        #expect(limit.source.contains("flash_size_kib") && limit.source.contains("pinion-emu-npu"))
        #expect(limit.fileBytes == 16 << 20 + 64 << 10)
    }

    @Test func aDfuSeBoardsLayoutsGiveItsFlashSize() throws {
        let catalogue = DFUFlasherTests.catalogue
        let stm32 = try #require(catalogue.board(id: "stm32-dfu-bootloader"))
        let limit = FirmwareFileLimit.largestFlash(in: BoardCatalogue(boards: [stm32]))
        // 4 x 16 KiB + 64 KiB + 7 x 128 KiB internal flash, 16 bytes of option bytes, 528 of OTP, 4 of features.
        #expect(limit.flashBytes == (1 << 20) + 16 + 528 + 4)
        #expect(limit.source.contains("DfuSe memory layouts of board stm32-dfu-bootloader"))
    }

    @Test func aFileOverTheLimitIsRefusedUnreadNamingTheLimit() throws {
        let limit = FirmwareFileLimit(flashBytes: 1 << 20, source: "a test")
        let path = try Self.sparseFile(limit.fileBytes + 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(path: path, limit: limit) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.description.contains("\(limit.fileBytes + 1) bytes, larger than any board holds: the limit is 1088 KiB (the largest flash, 1 MiB, from a test") == true,
                "\(String(describing: error))")
    }

    @Test func aFileAtTheLimitIsReadWhole() throws {
        let limit = FirmwareFileLimit(flashBytes: 1 << 20, source: "a test")
        let path = try Self.sparseFile(limit.fileBytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let image = try FirmwareImage.load(path: path, limit: limit)
        #expect(image.fileSize == limit.fileBytes && image.format == .raw && image.downloadSize == limit.fileBytes)
    }

    @Test func theBytesReadAreTheFilesBytes() throws {
        let image = try FirmwareImage.load(path: ImageFixtures.path("signed.img"), limit: .addressSpace)
        #expect(image.mcuboot?.bytes == (try ImageFixtures.bytes("signed.img")))
        let missing = ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(path: "/nonexistent/fw.bin") }
        #expect(missing?.kind == .unreadable && missing?.problem == "no such file")
        let directory = ImageFixtures.imageError { () throws(FirmwareImageError) in try FirmwareImage.load(path: "/tmp") }
        #expect(directory?.problem == "not a regular file")
    }
}
