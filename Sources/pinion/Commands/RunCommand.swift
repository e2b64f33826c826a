import ArgumentParser
import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionLedger
import PinionScheduler
import PinionSensors
import PinionUpstream
import PinionUSB
import ServiceLifecycle

/// `pinion run`: the controller. It inventories boards and I2C buses, reports boards as they
/// arrive and leave, and samples the configured sensors (a service per bus) into energy per
/// rail and board; scheduling and upstream reporting join it as they are built.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the controller: find boards and sensors, then watch boards arrive and leave until stopped.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print events as JSON lines.")
    var json = false

    @Option(help: ArgumentHelp("Report energy per rail and board every this many seconds (and at stop).", valueName: "seconds"))
    var energyReport: Double = 60

    func validate() throws {
        if energyReport <= 0 { throw ValidationError("--energy-report takes a positive number of seconds") }
    }

    func run() async throws {
        let hardware = try Hardware(global)
        let host: any USBHost
        switch hardware.usb {
        case .success(let usb): host = usb
        case .failure(let error):
            let reason = USBAvailability.probe().explanation ?? "libusb could not start: \(error)"
            throw ValidationError("no USB: \(reason); use --simulate to run against emulated boards")
        }
        let configuration = try global.gatewayConfiguration()
        umask(StateDirectory.umask)
        let stateLock = try StateLock.acquire(stateFiles: Self.stateFiles(configuration))
        log("pinion \(PinionVersion.string) starting\(global.simulate ? " with emulated boards and sensors" : "")")
        log("config: \(configuration.source ?? "none (\(GatewayConfiguration.defaultPath) does not exist): defaults, no gateway sensors")")
        for line in hardware.i2cSummary() { log(line) }
        let clock = MonotonicSamplerClock()
        let intervals = TaskIntervalLog { clock.now() }
        let railBoards = RailBoards(configuration)
        let meter = EnergyMeter(maximumGapSeconds: configuration.maximumGapSeconds, boardOfRail: { railBoards.board(of: $0) },
                                tasks: SensorSampling.tasks(from: intervals))
        let sampling = LiveSampling(configuration, buses: hardware.i2c, clock: clock,
                                    sink: SamplerFanout(sinks: [meter, SamplerEventLog(json: json)]), railBoards: railBoards)
        for problem in sampling.initialProblems { log("sensor not sampled: \(problem)", level: .warning) }
        for sampler in sampling.samplers {
            log("sampling \(sampler.busName): \(sampler.sensorCount) sensors (power \(Self.hertz(configuration.sampling.powerHertz)), temperature \(Self.hertz(configuration.sampling.temperatureHertz)))")
        }
        let metrics = ControllerMetrics.process
        let core = try await ControllerCore(settings: configuration.scheduler, intervals: intervals, metrics: metrics.factory)
        for problem in core.problems { log("model not loaded: \(problem)", level: .warning) }
        log("scheduler: \(configuration.scheduler.policy), journal \(configuration.scheduler.journal)\(core.recovered > 0 ? ", \(core.recovered) unfinished tasks queued again" : ""); models: \(core.models.entries.keys.sorted().joined(separator: ", "))")
        let (identity, gatewayLedger) = try LedgerStartup.open(identityPath: configuration.ledger.identity, ledgerPath: configuration.ledger.path,
                                                                   segmentMaxBytes: configuration.ledger.segmentMaxBytes, log: logSink())
        let ledgerCheck = LedgerStartup.verifyInBackground(gatewayLedger, log: logSink())
        let receipts = ReceiptWriter(ledger: gatewayLedger, journal: core.journal, meter: meter, models: core.models, log: logSink())
        await metrics.watch(ledger: gatewayLedger, receipts: receipts)
        await core.scheduler.observeResults { record in Task { await receipts.finished(record) } }
        let missingReceipts = try await receipts.recover()
        if missingReceipts > 0 { log("ledger: \(missingReceipts) receipts the last run did not write are written now") }
        log("ledger: \(configuration.ledger.path), signed by gateway \(identity.publicKey.hex)")
        var services = [DaemonService("sensor sampling", service: sampling)]
        var upstream: ControllerUpstream?
        if let settings = configuration.upstream {
            let say = logSink()
            // Before connecting: NBIRTH declares every metric the gateway will report (no board attached yet).
            let nodeMetrics = TelemetryReporter.nodeMetrics(await core.scheduler.status(), boards: [], energy: [:],
                                                            version: PinionVersion.string, metered: !sampling.samplers.isEmpty)
            let link = try await ControllerUpstream.start(settings, gateway: identity.publicKey.hex, nodeMetrics: nodeMetrics, log: say)
            upstream = link
            services.append(DaemonService("outbox expiry") {
                await link.outbox.expire(every: .seconds(60)) { say("outbox: age eviction failed: \($0)") }
            })
            let caughtUp = try await link.ledger.catchUp(gatewayLedger.tailAtOpen)
            await receipts.publish(to: link.ledger)
            await metrics.watch(upstream: link)
            log("upstream: mqtt\(settings.caFile == nil ? "" : "s")://\(settings.host):\(settings.port), ledger on \(link.ledger.topic), outbox \(settings.outbox) (at most \(settings.outboxMaxBytes >> 20) MB, \(Int(settings.outboxMaxAgeSeconds / 3600)) h)"
                + (caughtUp > 0 ? " (\(caughtUp) ledger entries queued again)" : ""))
            log("upstream telemetry: " + Self.describeTelemetry(settings, node: link.node))
            if let intake = try await link.startTaskIntake(scheduler: core.scheduler) {
                log("upstream tasks: from \(intake.subscription), results on \(intake.resultsTopic) (or each task's reply_to)")
            }
        }
        let linker = BoardLinker(host: host, catalogue: hardware.catalogue, scheduler: core.scheduler, logger: Self.logger(json: json),
                                 powerBudgetWatts: configuration.scheduler.powerBudgetWatts)
        await metrics.watch(scheduler: core.scheduler, linker: linker, meter: meter, samplers: { sampling.samplers })
        let energyEvery = configuration.ledger.energyReportSeconds
        services.append(DaemonService("ledger ticker") {
            var sinceReport = 0.0
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                await receipts.flush()
                sinceReport += 0.5
                if !sampling.samplers.isEmpty && sinceReport >= energyEvery {
                    sinceReport = 0
                    await receipts.reportEnergy()
                }
            }
        })
        let retention = configuration.ledger.retentionSeconds
        if retention > 0, let outbox = upstream?.outbox {
            let sayRetention = logSink()
            services.append(DaemonService("ledger retention") {
                await LedgerRetentionService.run(ledger: gatewayLedger, retentionSeconds: retention, outbox: outbox, after: ledgerCheck, log: sayRetention)
            })
            log("ledger: closed segments are deleted \(Int(retention)) s after they were closed, once every entry in them is acknowledged upstream")
        } else if retention > 0 {
            log("ledger: retention_s is set but there is no [upstream]: nothing is acknowledged, so closed segments are kept")
        }
        let keepHours = configuration.scheduler.keepFinishedHours
        let say = logSink()
        services.append(DaemonService("journal retention") {
            await JournalRetention.run(journal: core.journal, keepHours: keepHours, log: say)
        })
        if let telemetry = upstream?.telemetryReporter(scheduler: core.scheduler, linker: linker, meter: sampling.samplers.isEmpty ? nil : meter,
                                                       version: PinionVersion.string) {
            let every = configuration.upstream?.telemetrySeconds ?? 10
            services.append(DaemonService("telemetry reporter") { await telemetry.run(every: .seconds(every)) })
        }
        let feedback = EnergyFeedback(meter: meter, scheduler: core.scheduler, boardOfRail: { railBoards.board(of: $0) })
        services.append(DaemonService("energy feedback") { await feedback.run(every: .seconds(1)) })
        let every = energyReport
        let printer = self
        services.append(DaemonService("energy reporter") {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(every))
                if !sampling.samplers.isEmpty { printer.reportEnergy(meter) }
            }
        })
        let monitor = BoardMonitor(inventory: BoardInventory(catalogue: hardware.catalogue), host: host)
        let events = try monitor.events(includeExisting: true)
        let reporter = self
        services.append(DaemonService("board watcher") {
            for await event in events {
                reporter.report(event)
                await linker.handle(event)
            }
        })
        let systemd = SystemdNotifier.fromEnvironment()
        if let systemd, let interval = SystemdNotifier.watchdogInterval() {
            let scheduler = core.scheduler
            services.append(DaemonService("systemd watchdog") {
                try await SystemdWatchdog(notifier: systemd, interval: interval) { _ = await scheduler.status() }.run()
            })
        }
        try ControllerCore.prepareSocket(configuration.api)
        let upstreamLink = Self.linkStatus(of: upstream?.client)
        let api = ControllerAPI.application(scheduler: core.scheduler, journal: core.journal, address: .unixDomainSocket(path: configuration.api.socket),
                                            metrics: metrics, limits: configuration.api.connections, upstreamLink: upstreamLink,
                                            sampling: { sampling.status },
                                            onRunning: {
                                                ControllerCore.restrictSocket(configuration.api)
                                                systemd?.notify("READY=1\nSTATUS=serving on \(configuration.api.socket)")
                                            })
        services.append(DaemonService("API on \(configuration.api.socket)", service: api))
        if let tcp = configuration.api.tcp {
            let token = try configuration.api.token()
            services.append(DaemonService("API on tcp \(tcp.host):\(tcp.port)", service: ControllerAPI.application(
                scheduler: core.scheduler, journal: core.journal, address: .hostname(tcp.host, port: tcp.port), token: token, metrics: metrics,
                limits: configuration.api.connections, upstreamLink: upstreamLink, sampling: { sampling.status })))
            log("api: tcp \(tcp.host):\(tcp.port) (token from \(configuration.api.tokenFile ?? "?"))")
        }
        let reloader = ConfigurationReloader(path: GatewayConfiguration.path(explicit: global.configPath), running: configuration,
                                             sampling: sampling, scheduler: core.scheduler, upstream: upstream)
        let stop = StopSignal.install([SIGINT, SIGTERM, SIGHUP])
        let boardSignals = hardware.simulation.map { SimulatedBoardSignals.install(SimulatedBoardSwitch(gateway: $0), log: say) } ?? []
        var group = ServiceGroupConfiguration(services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                                              logger: Logger(label: "pinion.services"))
        let sayAt = leveledLogSink()
        group.services.append(.init(service: StopSignalService(stop: stop, log: say, systemd: systemd) {
            await Self.reload(reloader, systemd: systemd, log: sayAt)
        }, successTerminationBehavior: .gracefullyShutdownGroup))
        group.maximumGracefulShutdownDuration = .seconds(15)
        log("api: \(configuration.api.socket)")
        log("watching for boards (Ctrl-C to stop)")
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            failure = error
            systemd?.notify("STOPPING=1\nSTATUS=\(error)")
            log("pinion: \(error); stopping", level: .error)
        }
        ledgerCheck.cancel()
        await linker.closeAll()
        unlink(configuration.api.socket)
        await receipts.flush(all: true)
        if !sampling.samplers.isEmpty { await receipts.reportEnergy() }
        // Give the outbox a moment to drain; whatever is left is sent at the next start.
        await upstream?.stop()
        for failure in await receipts.failures { log("ledger: could not write \(failure)", level: .error) }
        if !sampling.samplers.isEmpty { reportEnergy(meter) }
        hardware.shutdown()
        withExtendedLifetime((stateLock, boardSignals)) {}
        if let failure { throw CommandError("\(failure)") }
    }

    /// SIGHUP: tells systemd the reload is under way (`RELOADING=1` with the monotonic time, as
    /// systemd 253 and later want it) and done (`READY=1`), whatever its outcome, and logs its lines.
    private static func reload(_ reloader: ConfigurationReloader, systemd: SystemdNotifier?,
                               log: @escaping @Sendable (String, Logger.Level) -> Void) async {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        systemd?.notify("RELOADING=1\nMONOTONIC_USEC=\(UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000)\nSTATUS=reloading the configuration")
        for line in await reloader.reload() { log(line.message, line.level) }
        systemd?.notify("READY=1\nSTATUS=serving")
    }

    /// Every file of the controller's state, whose directories the state lock covers.
    private static func stateFiles(_ configuration: GatewayConfiguration) -> [String] {
        [configuration.scheduler.journal, configuration.ledger.path, configuration.ledger.identity] + [configuration.upstream?.outbox].compactMap { $0 }
    }

    /// What `GET /v1/status` shows of the MQTT link, with `[upstream]`.
    private static func linkStatus(of client: MQTTClient?) -> (@Sendable () -> MQTTLinkStatus)? {
        guard let client else { return nil }
        return { client.linkStatus }
    }

    private static func describeTelemetry(_ settings: UpstreamSettings, node: String) -> String {
        TelemetryPayloadFormats.named(settings.telemetry)?.describe(settings, node) ?? settings.telemetry
    }

    /// Board-link messages as log lines on standard output (standard error with --json).
    private static func logger(json: Bool) -> Logger {
        Logger(label: "pinion.boards") { _ in LineLogHandler(json: json) }
    }

    /// `100 Hz`, `12.5 Hz`.
    static func hertz(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) Hz" : "\(value) Hz"
    }

    /// One line per rail (energy, covered time, gaps) and per board (energy, idle).
    private func reportEnergy(_ meter: EnergyMeter) {
        let rails = meter.rails
        let ledger = meter.ledger
        if json {
            struct Rail: Encodable { var sensor: String; var joules: Double; var coveredSeconds: Double; var gaps: [EnergyGap] }
            struct Line: Encodable {
                var event = "energy"; var rails: [Rail]; var boards: [String: Double]; var idle: [String: Double]
                var tasks: [String: Double]; var models: [String: Double]; var days: [String: Double]
            }
            try? JSONOutput.printLine(Line(rails: rails.map { Rail(sensor: $0.source.description, joules: $0.joules, coveredSeconds: $0.coveredSeconds, gaps: $0.gaps) },
                                           boards: ledger.perBoard, idle: ledger.idlePerBoard, tasks: ledger.perTask, models: ledger.perModel,
                                           days: ledger.perDay))
            return
        }
        for rail in rails {
            let gaps = rail.gaps.isEmpty ? "no gaps" : "\(rail.gaps.count) gaps (\(String(format: "%.1f", rail.gaps.reduce(0) { $0 + $1.seconds })) s unmeasured)"
            log("energy: \(rail.source) \(String(format: "%.3f", rail.joules)) J over \(String(format: "%.1f", rail.coveredSeconds)) s, \(gaps)")
        }
        for (board, joules) in ledger.perBoard.sorted(by: { $0.key < $1.key }) {
            log("energy: board \(board) \(String(format: "%.3f", joules)) J, idle \(String(format: "%.3f", ledger.idlePerBoard[board] ?? 0)) J")
        }
        for (model, joules) in ledger.perModel.sorted(by: { $0.key < $1.key }) {
            log("energy: model \(model) \(String(format: "%.3f", joules)) J")
        }
    }

    private func report(_ event: BoardEvent) {
        if json {
            struct Line: Encodable { var event: String; var device: AttachedDevice }
            let line: Line = switch event {
            case .attached(let device): Line(event: "attached", device: device)
            case .detached(let device): Line(event: "detached", device: device)
            }
            try? JSONOutput.printLine(line)
            return
        }
        switch event {
        case .attached(let d):
            log("board attached: \(d.path) \(d.id) \(d.board ?? "?") (\(d.mode?.rawValue ?? "-")) serial \(d.serial ?? "-") \(d.speed.rawValue)-speed")
        case .detached(let d):
            log("board detached: \(d.path) \(d.id) \(d.board ?? "?") serial \(d.serial ?? "-")")
        }
    }

    /// Human-readable progress: standard output, or standard error when standard output carries
    /// JSON lines; with the level's priority when that is the journal (`LogOutput`).
    private func log(_ message: String, level: Logger.Level = .info) {
        LogOutput.write(message, level: level, toStandardError: json)
    }

    /// `log` as a value, for callbacks: each line at info level.
    private func logSink() -> @Sendable (String) -> Void {
        { [json] message in LogOutput.write(message, level: .info, toStandardError: json) }
    }

    /// `log` as a value, for callbacks that give each line its level.
    private func leveledLogSink() -> @Sendable (String, Logger.Level) -> Void {
        { [json] message, level in LogOutput.write(message, level: level, toStandardError: json) }
    }
}
