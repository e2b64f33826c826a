import Foundation
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionUSB

/// Four emulated NPU boards (two small, two large, from the catalogue) on an emulated USB host,
/// connected over the board protocol, and a scheduler with a journal in a fresh temporary file.
struct NPUBench {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let host = EmulatedUSBHost()
    let boards: [EmulatedBoard]
    let journalPath: String

    init() throws {
        let catalogue = try BoardCatalogue.load(directories: [Self.root.appendingPathComponent("boards").path])
        var boards: [EmulatedBoard] = []
        for (index, id) in ["pinion-emu-npu-s", "pinion-emu-npu-s", "pinion-emu-npu-l", "pinion-emu-npu-l"].enumerated() {
            let model = EmulatedBoardModel(board: try catalogue.board(id: id).orThrow("no \(id) in boards/"))
            boards.append(EmulatedBoard(model: model, serial: "BENCH-\(index + 1)", host: host, ports: [UInt8(index + 1)]))
        }
        self.boards = boards
        journalPath = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-journal-\(UUID().uuidString).sqlite").path
    }

    static func models() throws -> ModelCatalog {
        var models = ModelCatalog()
        try models.add(id: "digits", bytes: try DigitsDataset.modelBytes())
        return models
    }

    /// Connects to every board now attached and hands them to `scheduler`.
    func attachAll(to scheduler: Scheduler) async throws {
        for info in try host.devices(readStrings: true) {
            let connection = try BoardConnection(device: try host.open(info.location))
            await scheduler.attach(try await LinkedBoard(connection: connection))
        }
    }

    func cleanUp() {
        host.shutdown()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journalPath + suffix) }
    }
}

extension Optional {
    func orThrow(_ why: String) throws -> Wrapped {
        guard let self else { throw NSError(domain: "NPUBench", code: 1, userInfo: [NSLocalizedDescriptionKey: why]) }
        return self
    }
}
