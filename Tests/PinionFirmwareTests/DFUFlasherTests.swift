import Foundation
import PinionBoards
import PinionEmulator
import PinionFirmware
import PinionUSB
import Synchronization
import Testing

/// The whole flash lifecycle on emulated boards through the same `USBHost`/`USBDevice` code that
/// runs on libusb: detach, re-enumeration, download, read-back, reboot into the new version.
@Suite("DFU flasher on emulated boards")
struct DFUFlasherTests {
    static let catalogue: BoardCatalogue = {
        let boards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("boards").path
        return try! BoardCatalogue.load(directories: [boards])
    }()

    static func board(_ serial: String, on host: EmulatedUSBHost, ports: [UInt8], mode: EmulatedBoardMode = .runtime,
                      model: String = "pinion-emu-npu-s") -> EmulatedBoard {
        EmulatedBoard(model: EmulatedBoardModel(board: catalogue.board(id: model)!), serial: serial, host: host, ports: ports, mode: mode)
    }

    /// An image whose first 32 bytes are an MCUboot header carrying `major.minor` (what the emulated firmware reads).
    static func image(major: UInt8, minor: UInt8, size: Int = 20_000) -> [UInt8] {
        var bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(major)) }
        bytes.replaceSubrange(0..<4, with: [0x3d, 0xb8, 0xf3, 0x96])
        bytes[20] = major
        bytes[21] = minor
        return bytes
    }

    @Test func flashesARunningBoardAndItRebootsIntoTheNewVersion() async throws {
        let host = EmulatedUSBHost()
        let board = Self.board("F-1", on: host, ports: [1])
        #expect(board.firmwareVersion == 0x0102)
        let image = Self.image(major: 1, minor: 7)
        let stages = Recorder<DFUFlashStage>()
        let result = try await DFUFlasher(host: host, catalogue: Self.catalogue)
            .flash(serial: "F-1", image: image) { stages.append($0.stage) }
        #expect(board.firmware == image)
        #expect(board.currentMode == .runtime)
        #expect(result.runtimeVersion == "1.07")
        #expect(result.verification == .readBack)
        #expect(result.manifest == .manifested)
        #expect(result.bytes == image.count)
        #expect(stages.values.first == .detach && stages.values.last == .reboot)
        #expect(stages.values.contains(.download) && stages.values.contains(.verify))
    }

    @Test func busyAndSlowBootloaderStillFlashes() async throws {
        let host = EmulatedUSBHost()
        let board = Self.board("F-2", on: host, ports: [1], mode: .bootloader)
        var behaviour = board.dfuBehaviour
        behaviour.busyPolls = 2
        behaviour.pollTimeoutMilliseconds = 2
        behaviour.manifestPolls = 3
        board.dfuBehaviour = behaviour
        board.reenumerate(as: .bootloader)
        let image = Self.image(major: 2, minor: 0, size: 9_000)
        let result = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "F-2", image: image)
        #expect(board.firmware == image)
        #expect(result.runtimeVersion == "2.00")
    }

    @Test func aFailingBlockIsAOneLineErrorNamingBoardStageAndBlock() async throws {
        let host = EmulatedUSBHost()
        let board = Self.board("F-3", on: host, ports: [1], mode: .bootloader)
        var behaviour = board.dfuBehaviour
        behaviour.failBlock = 1
        board.dfuBehaviour = behaviour
        board.reenumerate(as: .bootloader)
        do {
            _ = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "F-3", image: Self.image(major: 1, minor: 9))
            Issue.record("the flash should have failed")
        } catch {
            #expect(error.description == "flash F-3: download: the device reported errWRITE in dfuERROR at block 1 (byte 4096 of 20000): "
                    + DFUStatusCode.errWrite.meaning)
            #expect(!error.description.contains("\n"))
        }
        #expect(board.firmware.isEmpty, "nothing manifested")
    }

    @Test func anInterruptedFlashLeavesTheBoardInItsBootloaderAndASecondFlashRecoversIt() async throws {
        let host = EmulatedUSBHost()
        let board = Self.board("F-4", on: host, ports: [3])
        let flasher = DFUFlasher(host: host, catalogue: Self.catalogue)
        let image = Self.image(major: 3, minor: 1, size: 64 * 1024)
        let unplugged = Recorder<Bool>()
        do {
            _ = try await flasher.flash(serial: "F-4", image: image) { progress in
                if progress.stage == .download && progress.bytesDone >= 20_000 && unplugged.values.isEmpty {
                    unplugged.append(true)
                    board.unplug()
                }
            }
            Issue.record("the flash should have failed when the board was unplugged")
        } catch {
            #expect(error.stage == .download)
            #expect(error.reason.contains("left the bus"), "\(error)")
        }
        board.plugIn()
        let listed = try BoardInventory(catalogue: Self.catalogue).scan(host, includeUnknown: false)
        #expect(listed.first { $0.serial == "F-4" }?.mode == .bootloader, "pinion list shows it waiting in its bootloader")
        let result = try await flasher.flash(serial: "F-4", image: image)
        #expect(result.runtimeVersion == "3.01")
        #expect(board.firmware == image)
    }

    @Test func fourBoardsFlashInParallel() async throws {
        let host = EmulatedUSBHost()
        let boards = (1...4).map { Self.board("P-\($0)", on: host, ports: [UInt8($0)]) }
        let flasher = DFUFlasher(host: host, catalogue: Self.catalogue)
        let results = try await withThrowingTaskGroup(of: DFUFlashResult.self) { group in
            for (index, board) in boards.enumerated() {
                let image = Self.image(major: 4, minor: UInt8(index), size: 32 * 1024)
                group.addTask { try await flasher.flash(serial: board.serial, image: image) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for (index, board) in boards.enumerated() {
            #expect(board.firmware == Self.image(major: 4, minor: UInt8(index), size: 32 * 1024))
            #expect(board.currentMode == .runtime)
            #expect(results.first { $0.serial == board.serial }?.runtimeVersion == "4.0\(index)")
        }
    }

    @Test func aMissingBoardIsAClearError() async {
        let host = EmulatedUSBHost()
        await #expect(throws: FlashError.self) {
            _ = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "NOPE", image: [1])
        }
    }
}

/// Collects values from a `@Sendable` callback.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}
