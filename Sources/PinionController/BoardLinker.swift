import Foundation
import Logging
import PinionBoardLink
import PinionBoards
import PinionFirmware
import PinionScheduler
import PinionUSB

/// Connects the scheduler to boards as they come and go: a catalogued board in run-time mode
/// whose firmware speaks Pinion's board protocol is opened, greeted (HELLO) and attached; when it
/// leaves, it is detached and its tasks go back to the queue. A board whose firmware lives in RAM
/// (`flash.boot_on_attach`, the Coral) that arrives in its bootloader is booted first
/// (`BoardBooter`) and reported once, in its booted identity: its bootloader identity leaving and
/// its run-time identity arriving during the boot are one board, not two.
public actor BoardLinker {
    private let host: any USBHost
    private let catalogue: BoardCatalogue
    private let scheduler: Scheduler
    private let logger: Logger
    private var connections: [String: BoardConnection] = [:]
    private var watchers: [String: Task<Void, Never>] = [:]
    private var execBoards: [String: ExecBoard] = [:]
    /// Where exec boards' models and inputs are written.
    private let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-exec")
    private let telemetryInterval: Duration
    private let powerBudgetWatts: Double?
    private var boardWatts: [String: Double] = [:]
    private var overBudget = false
    private var attached: [String: AttachedBoard] = [:]
    private let booter: BoardBooter
    /// Serials of boards being booted now.
    private var booting: Set<String> = []
    /// Run-time arrivals of boards still being booted, linked once the boot has returned.
    private var arrivedWhileBooting: [String: AttachedDevice] = [:]
    /// Boards whose bootloader identity left during their boot (the boot's own reset, or an unplug).
    private var leftWhileBooting: Set<String> = []
    /// Booted boards whose run-time arrival the monitor has not reported yet.
    private var awaitingRuntime: Set<String> = []

    private var observers: [@Sendable (BoardLinkEvent) -> Void] = []

    /// - Parameter telemetryInterval: how often each board's temperature is read: above its
    ///   catalogue `warn_c` it gets no new work until it is 5 °C below again.
    ///   - powerBudgetWatts: the most the boards together may draw (TELEMETRY watts); above it no new
    ///     work is placed until they draw 5 % less.
    public init(host: any USBHost, catalogue: BoardCatalogue, scheduler: Scheduler, logger: Logger,
                telemetryInterval: Duration = .seconds(1), powerBudgetWatts: Double? = nil) {
        self.powerBudgetWatts = powerBudgetWatts
        self.host = host
        self.catalogue = catalogue
        self.scheduler = scheduler
        self.logger = logger
        self.telemetryInterval = telemetryInterval
        booter = BoardBooter(flasher: DFUFlasher(host: host, catalogue: catalogue))
    }

    /// Calls `observer` (on this actor: keep it short) when a catalogued board has arrived (after
    /// it was linked, if it could be) and when it has gone.
    public func observe(_ observer: @escaping @Sendable (BoardLinkEvent) -> Void) {
        observers.append(observer)
    }

    /// Handles one board event from `BoardMonitor`.
    public func handle(_ event: BoardEvent) async {
        switch event {
        case .attached(let device):
            guard let serial = device.serial, let id = device.board, connections[serial] == nil, execBoards[serial] == nil else { return }
            if booting.contains(serial) {
                if device.mode == .runtime { arrivedWhileBooting[serial] = device }
                return
            }
            awaitingRuntime.remove(serial)
            attached[serial] = AttachedBoard(serial: serial, model: id, mode: device.mode?.rawValue ?? "unknown", firmware: device.deviceVersion,
                                             usbPath: device.path)
            if device.mode == .bootloader, let board = catalogue.board(id: id), board.flash.bootOnAttach {
                await boot(device, board: board, serial: serial)
                return
            }
            await link(device)
            if let board = attached[serial] { for observer in observers { observer(.attached(board)) } }
        case .detached(let device):
            guard let serial = device.serial else { return }
            if device.mode == .bootloader && (booting.contains(serial) || awaitingRuntime.contains(serial)) {
                if booting.contains(serial) { leftWhileBooting.insert(serial) }
                return
            }
            if attached.removeValue(forKey: serial) != nil { for observer in observers { observer(.detached(serial: serial)) } }
            await unlink(serial)
        }
    }

    /// Boots a RAM-only board that arrived in its bootloader, then links it in its run-time identity;
    /// when it cannot be booted it stays listed in its bootloader with the reason.
    private func boot(_ device: AttachedDevice, board: BoardDescriptor, serial: String) async {
        booting.insert(serial)
        let outcome = await booter.boot(serial: serial, board: board)
        booting.remove(serial)
        let left = leftWhileBooting.remove(serial) != nil
        switch outcome {
        case .success:
            let from = board.bootloader.map { "\($0.id)" } ?? "\(device.id)"
            let to = board.runtime.map { "\($0.id)" } ?? "?"
            logger.info("board \(serial) booted: \(from) → \(to)")
            if let runtime = arrivedWhileBooting.removeValue(forKey: serial) {
                await handle(.attached(runtime))
            } else {
                awaitingRuntime.insert(serial)
            }
        case .failure(let failure):
            arrivedWhileBooting[serial] = nil
            if left {
                attached[serial] = nil
                logger.warning("board \(serial) (\(device.path)) left its bootloader before it was booted: \(failure)")
                return
            }
            attached[serial]?.problem = "in its bootloader, not booted: \(failure)"
            logger.warning("board \(serial) (\(device.id) at \(device.path)) is in its bootloader, not booted: \(failure)")
            if let board = attached[serial] { for observer in observers { observer(.attached(board)) } }
        }
    }

    /// Links a board in run-time mode: an exec board through its runtime, a Pinion board through
    /// the board protocol.
    private func link(_ device: AttachedDevice) async {
        // `handle` has checked that the board is not linked already.
        guard device.mode == .runtime, let id = device.board, let board = catalogue.board(id: id), let serial = device.serial else { return }
        if board.execution.kind == .exec {
            do {
                let exec = try ExecBoard(board: board, serial: serial, usbPath: device.path, workDirectory: workDirectory)
                execBoards[serial] = exec
                await scheduler.attach(exec)
                attached[serial]?.runtime = "exec"
                logger.info("board \(serial) ready: runs \(board.execution.command.first ?? "?") (\(board.capabilities.modelFormats.joined(separator: ", ")))")
            } catch {
                logger.warning("board \(serial) (\(device.path)) could not be set up: \(error)")
            }
            return
        }
        guard board.execution.kind == .pinion else { return }
        do {
            let info = try host.devices(readStrings: false).first { $0.location.path == device.path && $0.location.address == device.address }
            guard let info else { return }
            let connection = try BoardConnection(device: try host.open(info.location), info: info)
            let linked = try await LinkedBoard(connection: connection)
            connections[serial] = connection
            attached[serial]?.firmware = linked.info.firmwareVersion
            attached[serial]?.runtime = "pinion"
            await scheduler.attach(linked)
            watchers[serial] = watchTelemetry(serial, connection, warn: board.thermal?.warnCelsius)
            logger.info("board \(serial) ready: firmware \(linked.info.firmwareVersion), \(linked.info.modelFormats.joined(separator: ", ")), \(linked.info.memoryBytes >> 20) MiB, \(linked.info.maxInFlight) in flight")
        } catch {
            logger.warning("board \(serial) (\(device.path)) could not be linked: \(error)")
        }
    }

    private func unlink(_ serial: String) async {
        if execBoards.removeValue(forKey: serial) != nil {
            await scheduler.detach(serial: serial)
            logger.info("board \(serial) gone: its tasks go back to the queue")
            return
        }
        guard let connection = connections.removeValue(forKey: serial) else { return }
        watchers.removeValue(forKey: serial)?.cancel()
        boardWatts[serial] = nil
        connection.close(.disconnected("\(serial) left the bus"))
        await scheduler.detach(serial: serial)
        logger.info("board \(serial) gone: its tasks go back to the queue")
    }

    /// The catalogued boards attached now, by serial.
    public func attachedBoards() -> [AttachedBoard] {
        attached.values.sorted { $0.serial < $1.serial }
    }

    /// Closes every connection.
    public func closeAll() {
        for watcher in watchers.values { watcher.cancel() }
        watchers = [:]
        for connection in connections.values { connection.close() }
        connections = [:]
    }

    /// Reads the board's TELEMETRY every `telemetryInterval`: its temperature against its `warn_c`
    /// (no new work until 5 °C below) and its power towards the gateway's budget.
    private func watchTelemetry(_ serial: String, _ connection: BoardConnection, warn: Double?) -> Task<Void, Never> {
        let scheduler = scheduler, logger = logger, interval = telemetryInterval
        return Task {
            var hot = false
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let reading = try? await connection.telemetry() else { continue }
                await self.telemetryReading(serial, reading)
                guard let warn else { continue }
                let nowHot = hot ? reading.celsius > warn - 5 : reading.celsius >= warn
                guard nowHot != hot else { continue }
                hot = nowHot
                await scheduler.setHot(board: serial, hot)
                if hot {
                    logger.warning("board \(serial) at \(reading.celsius) °C, above its \(warn) °C limit: no new work until it cools")
                } else {
                    logger.info("board \(serial) cooled to \(reading.celsius) °C: back to work")
                }
            }
        }
    }

    private func telemetryReading(_ serial: String, _ reading: (celsius: Double, watts: Double)) async {
        attached[serial]?.celsius = reading.celsius
        attached[serial]?.watts = reading.watts
        let watts = reading.watts
        boardWatts[serial] = watts
        guard let budget = powerBudgetWatts else { return }
        let total = boardWatts.values.reduce(0, +)
        let over = overBudget ? total > budget * 0.95 : total > budget
        guard over != overBudget else { return }
        overBudget = over
        await scheduler.setOverPowerBudget(over)
        if over {
            logger.warning("boards draw \(total) W, over the \(budget) W power budget: no new work until they draw less")
        } else {
            logger.info("boards draw \(total) W, under the \(budget) W power budget again")
        }
    }
}
