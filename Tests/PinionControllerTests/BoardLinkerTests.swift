import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionTestSupport
import Testing

@Suite("Board linker")
struct BoardLinkerTests {
    @Test func boardsAreLinkedAndAHotBoardGetsNoNewWork() async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))
        let gateway = SimulatedGateway(catalogue: catalogue)
        defer { gateway.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-linker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = SchedulerSettings()
        settings.journal = directory.appendingPathComponent("journal.sqlite").path
        settings.policy = "round-robin"
        let core = try await ControllerCore(settings: settings)
        let linker = BoardLinker(host: gateway.usb, catalogue: catalogue, scheduler: core.scheduler,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, telemetryInterval: .milliseconds(20))
        for device in try BoardInventory(catalogue: catalogue).scan(gateway.usb, includeUnknown: false) {
            await linker.handle(.attached(device))
        }
        defer { Task { await linker.closeAll() } }
        // Runtime boards that speak the board protocol are linked; bootloaders and others are not.
        #expect(await core.scheduler.status().boards.map(\.serial) == ["EMU-S-0001", "EMU-S-0002", "EMU-L-0001", "EMU-L-0003"])

        // EMU-S-0002 overheats (its catalogue warn_c is 85 °C).
        let hotBoard = try #require(gateway.boards.first { $0.serial == "EMU-S-0002" })
        hotBoard.npu?.extraCelsius = 60
        _ = await eventually { await core.scheduler.status().boards.first { $0.serial == "EMU-S-0002" }?.hot == true }
        #expect(await core.scheduler.status().boards.first { $0.serial == "EMU-S-0002" }?.hot == true)
        let input = try DigitsDataset.testSplit()[0].input.map { UInt8(bitPattern: $0) }
        _ = try await core.scheduler.submit((0..<30).map { InferenceTask(id: "h\($0)", model: "digits", input: input) })
        for index in 0..<30 { _ = try await core.scheduler.result(of: "h\(index)") }
        let status = await core.scheduler.status()
        #expect(status.boards.first { $0.serial == "EMU-S-0002" }?.completed == 0)
        #expect(status.statistics.completed == 30)

        // Cooled by more than 5 °C below the limit: back to work.
        hotBoard.npu?.extraCelsius = 0
        _ = await eventually { await core.scheduler.status().boards.first { $0.serial == "EMU-S-0002" }?.hot == false }
        #expect(await core.scheduler.status().boards.first { $0.serial == "EMU-S-0002" }?.hot == false)

        // Unplugged: detached from the scheduler.
        let device = try #require(try BoardInventory(catalogue: catalogue).scan(gateway.usb, includeUnknown: false).first { $0.serial == "EMU-S-0002" })
        hotBoard.unplug()
        await linker.handle(.detached(device))
        #expect(await core.scheduler.status().boards.map(\.serial) == ["EMU-S-0001", "EMU-L-0001", "EMU-L-0003"])
    }
}

@Suite("Gateway power budget")
struct PowerBudgetTests {
    @Test func boardsDrawingMoreThanTheBudgetGetNoNewWork() async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))
        let gateway = SimulatedGateway(catalogue: catalogue)
        defer { gateway.shutdown() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = SchedulerSettings()
        settings.journal = directory.appendingPathComponent("journal.sqlite").path
        let core = try await ControllerCore(settings: settings)
        // The three linked boards idle at 0.6 + 0.6 + 1.4 W: a 1 W budget is exceeded at once.
        let linker = BoardLinker(host: gateway.usb, catalogue: catalogue, scheduler: core.scheduler,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, telemetryInterval: .milliseconds(20),
                                 powerBudgetWatts: 1.0)
        for device in try BoardInventory(catalogue: catalogue).scan(gateway.usb, includeUnknown: false) {
            await linker.handle(.attached(device))
        }
        defer { Task { await linker.closeAll() } }
        _ = await eventually { await core.scheduler.status().overPowerBudget }
        #expect(await core.scheduler.status().overPowerBudget)
        let input = try DigitsDataset.testSplit()[0].input.map { UInt8(bitPattern: $0) }
        _ = try await core.scheduler.submit((0..<5).map { InferenceTask(id: "b\($0)", model: "digits", input: input) })
        try await Task.sleep(for: .milliseconds(200))
        let status = await core.scheduler.status()
        #expect(status.queued == 5)
        #expect(status.statistics.completed == 0)
    }
}
