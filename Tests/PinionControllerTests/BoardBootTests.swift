import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionScheduler
import PinionTestSupport
import Synchronization
import Testing

/// `pinion run` boots a RAM-only board (the Coral, `flash.boot_on_attach`) as it arrives in its
/// bootloader: the DFU download of the site's firmware file, the USB reset, and the board is linked
/// in its booted identity as the same board. Runs over the emulated USB host with the simulated
/// gateway's Coral (CORAL-0001 at 1a6e:089a) and a real BoardMonitor feeding the linker.
@Suite("Boot on attach")
struct BoardBootTests {
    /// What the linker logged, one entry a line: `info: board … booted: …`.
    final class LoggedLines: Sendable {
        let lines = Mutex<[String]>([])
    }

    /// What the linker told its observers.
    final class SeenEvents: Sendable {
        let events = Mutex<[BoardLinkEvent]>([])
    }

    /// Collects what the linker logs.
    struct LinesLogHandler: LogHandler {
        let store: LoggedLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            store.lines.withLock { $0.append("\(level): \(message)") }
        }
    }

    final class Run: Sendable {
        let gateway: SimulatedGateway
        let linker: BoardLinker
        let logged: LoggedLines
        let seen: SeenEvents
        let feeder: Task<Void, Never>
        let directory: URL

        init(bootFirmware: String?) async throws {
            var catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))
            var boards = catalogue.boards
            if let index = boards.firstIndex(where: { $0.id == "coral-usb-accelerator" }) { boards[index].flash.bootFirmware = bootFirmware }
            catalogue = BoardCatalogue(boards: boards)
            gateway = SimulatedGateway(catalogue: catalogue)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-boot-\(UUID().uuidString)")
            var settings = SchedulerSettings()
            settings.journal = directory.appendingPathComponent("journal.sqlite").path
            let core = try await ControllerCore(settings: settings)
            let logged = LoggedLines()
            self.logged = logged
            linker = BoardLinker(host: gateway.usb, catalogue: catalogue, scheduler: core.scheduler,
                                 logger: Logger(label: "test") { _ in LinesLogHandler(store: logged) }, telemetryInterval: .milliseconds(50))
            let seen = SeenEvents()
            self.seen = seen
            await linker.observe { event in seen.events.withLock { $0.append(event) } }
            let stream = try BoardMonitor(inventory: BoardInventory(catalogue: catalogue), host: gateway.usb).events(includeExisting: true)
            let linker = linker
            feeder = Task { for await event in stream { await linker.handle(event) } }
        }

        var coral: EmulatedBoard { gateway.boards.first { $0.serial == "CORAL-0001" }! }

        /// CORAL-0001 as the linker reports it, once `done` holds (or after 20 s).
        func coralWhen(_ done: (AttachedBoard) -> Bool) async throws -> AttachedBoard? {
            _ = await eventually(timeout: .seconds(20)) {
                await linker.attachedBoards().first { $0.serial == "CORAL-0001" }.map(done) ?? false
            }
            return await linker.attachedBoards().first { $0.serial == "CORAL-0001" }
        }

        func stop() async {
            feeder.cancel()
            await linker.closeAll()
            gateway.shutdown()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func aCoralInItsBootloaderIsBootedWithTheFirmwareFileAsItArrives() async throws {
        let firmwareDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-boot-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: firmwareDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: firmwareDirectory) }
        // Not the vendor's image (it is not ours to ship): 10 000 bytes that are not a multiple of the transfer size.
        let image = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = firmwareDirectory.appendingPathComponent("apex_latest_single_ep.bin").path
        try Data(image).write(to: URL(fileURLWithPath: path))
        let run = try await Run(bootFirmware: path)
        let coral = try #require(await run.coralWhen { $0.mode == "runtime" && $0.runtime != nil })
        await run.stop()

        #expect(coral.mode == "runtime" && coral.model == "coral-usb-accelerator" && coral.runtime == "exec")
        #expect(coral.problem == nil)
        #expect(run.coral.currentMode == .runtime)
        let holdsTheFile = run.coral.firmware == image
        #expect(holdsTheFile, "the board holds \(run.coral.firmware.count) bytes, not the file's \(image.count)")
        let lines = run.logged.lines.withLock { $0 }
        #expect(lines.contains("info: board CORAL-0001 booted: 1a6e:089a → 18d1:9302"), "\(lines)")
        // One board throughout: it never left, and it arrived once, already booted.
        let coralEvents = run.seen.events.withLock { $0 }.filter {
            switch $0 {
            case .attached(let board): board.serial == "CORAL-0001"
            case .detached(let serial): serial == "CORAL-0001"
            }
        }
        #expect(coralEvents.count == 1, "\(coralEvents)")
        if case .attached(let board)? = coralEvents.first { #expect(board.mode == "runtime") } else { Issue.record("\(coralEvents)") }
    }

    @Test func aMissingFirmwareFileLeavesTheCoralInItsBootloaderAndSaysWhy() async throws {
        let path = "/nonexistent/pinion/apex_latest_single_ep.bin"
        let run = try await Run(bootFirmware: path)
        let coral = try #require(await run.coralWhen { $0.problem != nil })
        try await Task.sleep(for: .milliseconds(200))
        await run.stop()
        #expect(coral.mode == "bootloader")
        let problem = try #require(coral.problem)
        #expect(problem.hasPrefix("in its bootloader, not booted: ") && problem.contains("flash.boot_firmware") && problem.contains(path), "\(problem)")
        #expect(run.coral.currentMode == .bootloader && run.coral.firmware.isEmpty)
        let warnings = run.logged.lines.withLock { $0 }.filter { $0.hasPrefix("warning:") && $0.contains("CORAL-0001") }
        #expect(warnings.count == 1 && !warnings[0].contains("\n"), "\(warnings)")
    }

    @Test func aCoralWithNoFirmwareConfiguredSaysWhichKeyToSet() async throws {
        let run = try await Run(bootFirmware: nil)
        let coral = try #require(await run.coralWhen { $0.problem != nil })
        await run.stop()
        #expect(coral.mode == "bootloader")
        #expect(coral.problem?.contains("flash.boot_firmware is not set") == true, "\(coral.problem ?? "nil")")
    }
}
