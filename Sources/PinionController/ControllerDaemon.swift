import Foundation
import Glibc
import Logging
import PinionLedger
import ServiceLifecycle

/// The controller as `pinion run` runs it: one `ServiceGroup` of `DaemonService`s (sensor sampling,
/// the ledger ticker, retention, telemetry, the board watcher, the API…) around the scheduler,
/// the ledger and the upstream link, until a stop signal or a failing part stops it.
///
/// `start(_:output:)` takes the state lock, opens the state and builds every part, saying what it
/// found; `run(until:)` serves until SIGINT or SIGTERM (SIGHUP reloads the configuration), shuts
/// the services down in reverse order, writes the last receipts, says goodbye upstream, and
/// throws the failure that stopped it, if one did.
public final class ControllerDaemon: Sendable {
    let settings: Settings
    let output: Output
    let stateLock: StateLock
    let parts: Parts
    let receipts: ReceiptWriter
    let ledgerCheck: Task<Void, Never>
    let upstream: ControllerUpstream?
    let services: [DaemonService]
    let reloader: ConfigurationReloader

    private init(settings: Settings, output: Output, stateLock: StateLock, parts: Parts, receipts: ReceiptWriter,
                 ledgerCheck: Task<Void, Never>, upstream: ControllerUpstream?, services: [DaemonService], reloader: ConfigurationReloader) {
        self.settings = settings
        self.output = output
        self.stateLock = stateLock
        self.parts = parts
        self.receipts = receipts
        self.ledgerCheck = ledgerCheck
        self.upstream = upstream
        self.services = services
        self.reloader = reloader
    }

    /// Sets the umask, takes the state lock, and builds the daemon from `settings`: the sampling,
    /// the scheduler (tasks the last run left unfinished are queued again), the ledger (receipts
    /// the last run did not write are written), the upstream link and the API, saying each in a line.
    /// Throws, with one line, when a part cannot start (the state is locked, the journal cannot be
    /// opened, another controller answers on the socket…).
    public static func start(_ settings: Settings, output: Output) async throws -> ControllerDaemon {
        let configuration = settings.configuration
        umask(StateDirectory.umask)
        let stateLock = try StateLock.acquire(stateFiles: settings.stateFiles)
        let log = output.log
        log("pinion \(settings.version) starting\(settings.emulated ? " with emulated boards and sensors" : "")", .info)
        log("config: \(configuration.source ?? "none (\(GatewayConfiguration.defaultPath) does not exist): defaults, no gateway sensors")", .info)
        for line in settings.buses.summaryLines() { log(line, .info) }
        let metrics = settings.metrics
        let parts = try await Parts.assemble(configuration, buses: settings.buses, host: settings.host, catalogue: settings.catalogue,
                                             samplerEvents: output.samplerEvents, metrics: metrics.factory,
                                             boardLogger: output.boardLogger) { sampling in
            for problem in sampling.initialProblems { log("sensor not sampled: \(problem)", .warning) }
            for sampler in sampling.samplers {
                log("sampling \(sampler.busName): \(sampler.sensorCount) sensors (power \(SamplingStatus.hertz(configuration.sampling.powerHertz)), temperature \(SamplingStatus.hertz(configuration.sampling.temperatureHertz)))", .info)
            }
        }
        let core = parts.core
        for problem in core.problems { log("model not loaded: \(problem)", .warning) }
        log("scheduler: \(configuration.scheduler.policy), journal \(configuration.scheduler.journal)\(core.recovered > 0 ? ", \(core.recovered) unfinished tasks queued again" : ""); models: \(core.models.entries.keys.sorted().joined(separator: ", "))", .info)
        let (identity, gatewayLedger) = try LedgerStartup.open(identityPath: configuration.ledger.identity, ledgerPath: configuration.ledger.path,
                                                               segmentMaxBytes: configuration.ledger.segmentMaxBytes, log: output.info)
        let ledgerCheck = LedgerStartup.verifyInBackground(gatewayLedger, log: output.info)
        let receipts = ReceiptWriter(ledger: gatewayLedger, journal: core.journal, meter: parts.meter, models: core.models, log: output.info)
        await metrics.watch(ledger: gatewayLedger, receipts: receipts)
        await core.scheduler.observeResults { record in Task { await receipts.finished(record) } }
        let missingReceipts = try await receipts.recover()
        if missingReceipts > 0 { log("ledger: \(missingReceipts) receipts the last run did not write are written now", .info) }
        log("ledger: \(configuration.ledger.path), signed by gateway \(identity.publicKey.hex)", .info)
        var services = [DaemonService("sensor sampling", service: parts.sampling)]
        let upstream = try await startUpstream(settings, parts: parts, gateway: identity.publicKey.hex, ledger: gatewayLedger,
                                               receipts: receipts, output: output, services: &services)
        await metrics.watch(scheduler: core.scheduler, linker: parts.linker, meter: parts.meter, samplers: { parts.sampling.samplers })
        services += try loops(settings, parts: parts, ledger: gatewayLedger, ledgerCheck: ledgerCheck, receipts: receipts,
                              upstream: upstream, output: output)
        services += try apis(settings, parts: parts, upstream: upstream, output: output)
        let reloader = ConfigurationReloader(path: settings.configurationPath, running: configuration,
                                             sampling: parts.sampling, scheduler: core.scheduler, upstream: upstream)
        return ControllerDaemon(settings: settings, output: output, stateLock: stateLock, parts: parts, receipts: receipts,
                                ledgerCheck: ledgerCheck, upstream: upstream, services: services, reloader: reloader)
    }

    /// Serves until `stop` gives SIGINT or SIGTERM (SIGHUP: reload the configuration and serve on)
    /// or a service fails; then shuts the services down in reverse order (within 15 s), closes the
    /// boards' links, writes the last receipts and energy report, and says goodbye upstream.
    /// Throws the failure that stopped it (`DaemonServiceFailure`), after all that.
    public func run(until stop: StopSignal) async throws {
        let configuration = settings.configuration
        let systemd = settings.systemd
        let say = output.info
        var group = ServiceGroupConfiguration(services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                                              logger: Logger(label: "pinion.services"))
        let reloader = self.reloader
        let log = output.log
        group.services.append(.init(service: StopSignalService(stop: stop, log: say, systemd: systemd) {
            await Self.reload(reloader, systemd: systemd, log: log)
        }, successTerminationBehavior: .gracefullyShutdownGroup))
        group.maximumGracefulShutdownDuration = .seconds(15)
        say("api: \(configuration.api.socket)")
        say("watching for boards (Ctrl-C to stop)")
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            failure = error
            systemd?.notify("STOPPING=1\nSTATUS=\(error)")
            log("pinion: \(error); stopping", .error)
        }
        await shutDown()
        if let failure { throw failure }
    }

    /// After the services: the links closed, the socket removed, the last receipts and energy report
    /// written, the outbox given a moment to drain (whatever is left is sent at the next start).
    private func shutDown() async {
        let sampled = !parts.sampling.samplers.isEmpty
        ledgerCheck.cancel()
        await parts.linker.closeAll()
        unlink(settings.configuration.api.socket)
        await receipts.flush(all: true)
        if sampled { await receipts.reportEnergy() }
        await upstream?.stop()
        for failure in await receipts.failures { output.log("ledger: could not write \(failure)", .error) }
        if sampled { output.energy(parts.meter) }
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
}
