import PinionBoards
import PinionLedger
import PinionUpstream

extension ControllerDaemon {
    /// With `[upstream]`: the link started (its NBIRTH declaring every metric the gateway will report,
    /// no board attached yet), the ledger caught up on it, receipts published on it, the outbox's
    /// age eviction as a service, and the task intake when a topic is named; each said in a line.
    static func startUpstream(_ settings: Settings, parts: Parts, gateway: String, ledger: GatewayLedger, receipts: ReceiptWriter,
                              output: Output, services: inout [DaemonService]) async throws -> ControllerUpstream? {
        guard let upstream = settings.configuration.upstream else { return nil }
        let say = output.info
        let nodeMetrics = TelemetryReporter.nodeMetrics(await parts.core.scheduler.status(), boards: [], energy: [:],
                                                        version: settings.version, metered: !parts.sampling.samplers.isEmpty)
        let link = try await ControllerUpstream.start(upstream, gateway: gateway, nodeMetrics: nodeMetrics, log: say)
        services.append(DaemonService("outbox expiry") {
            await link.outbox.expire(every: .seconds(60)) { say("outbox: age eviction failed: \($0)") }
        })
        let caughtUp = try await link.ledger.catchUp(ledger.tailAtOpen)
        await receipts.publish(to: link.ledger)
        await settings.metrics.watch(upstream: link)
        say("upstream: mqtt\(upstream.caFile == nil ? "" : "s")://\(upstream.host):\(upstream.port), ledger on \(link.ledger.topic), outbox \(upstream.outbox) (at most \(upstream.outboxMaxBytes >> 20) MB, \(Int(upstream.outboxMaxAgeSeconds / 3600)) h)"
            + (caughtUp > 0 ? " (\(caughtUp) ledger entries queued again)" : ""))
        say("upstream telemetry: " + describeTelemetry(upstream, node: link.node))
        if let intake = try await link.startTaskIntake(scheduler: parts.core.scheduler) {
            say("upstream tasks: from \(intake.subscription), results on \(intake.resultsTopic) (or each task's reply_to)")
        }
        return link
    }

    /// The loops: the ledger ticker (receipt batches, energy reports), ledger and journal retention,
    /// telemetry, the energy feedback and report, the board watcher, and systemd's watchdog.
    static func loops(_ settings: Settings, parts: Parts, ledger: GatewayLedger, ledgerCheck: Task<Void, Never>, receipts: ReceiptWriter,
                      upstream: ControllerUpstream?, output: Output) throws -> [DaemonService] {
        let configuration = settings.configuration
        let say = output.info
        let sampling = parts.sampling
        let meter = parts.meter
        var services: [DaemonService] = []
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
            services.append(DaemonService("ledger retention") {
                await LedgerRetentionService.run(ledger: ledger, retentionSeconds: retention, outbox: outbox, after: ledgerCheck, log: say)
            })
            say("ledger: closed segments are deleted \(Int(retention)) s after they were closed, once every entry in them is acknowledged upstream")
        } else if retention > 0 {
            say("ledger: retention_s is set but there is no [upstream]: nothing is acknowledged, so closed segments are kept")
        }
        let keepHours = configuration.scheduler.keepFinishedHours
        let journal = parts.core.journal
        services.append(DaemonService("journal retention") {
            await JournalRetention.run(journal: journal, keepHours: keepHours, log: say)
        })
        if let telemetry = upstream?.telemetryReporter(scheduler: parts.core.scheduler, linker: parts.linker,
                                                       meter: sampling.samplers.isEmpty ? nil : meter, version: settings.version) {
            let every = configuration.upstream?.telemetrySeconds ?? 10
            services.append(DaemonService("telemetry reporter") { await telemetry.run(every: .seconds(every)) })
        }
        let feedback = parts.feedback
        services.append(DaemonService("energy feedback") { await feedback.run(every: .seconds(1)) })
        let reportEvery = settings.energyReportSeconds
        let report = output.energy
        services.append(DaemonService("energy reporter") {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(reportEvery))
                if !sampling.samplers.isEmpty { report(meter) }
            }
        })
        let monitor = BoardMonitor(inventory: BoardInventory(catalogue: settings.catalogue), host: settings.host)
        let events = try monitor.events(includeExisting: true)
        let linker = parts.linker
        let boardEvent = output.boardEvent
        services.append(DaemonService("board watcher") {
            for await event in events {
                boardEvent(event)
                await linker.handle(event)
            }
        })
        if let systemd = settings.systemd, let interval = settings.watchdogInterval {
            let scheduler = parts.core.scheduler
            services.append(DaemonService("systemd watchdog") {
                try await SystemdWatchdog(notifier: systemd, interval: interval) { _ = await scheduler.status() }.run()
            })
        }
        return services
    }

    /// The API on its socket (it says `READY=1` to systemd once it serves), and on TCP when `[api] tcp` is set.
    static func apis(_ settings: Settings, parts: Parts, upstream: ControllerUpstream?, output: Output) throws -> [DaemonService] {
        let configuration = settings.configuration
        let core = parts.core
        let sampling = parts.sampling
        let systemd = settings.systemd
        try ControllerCore.prepareSocket(configuration.api)
        let upstreamLink = linkStatus(of: upstream?.client)
        let api = ControllerAPI.application(scheduler: core.scheduler, journal: core.journal, address: .unixDomainSocket(path: configuration.api.socket),
                                            metrics: settings.metrics, limits: configuration.api.connections, upstreamLink: upstreamLink,
                                            sampling: { sampling.status },
                                            onRunning: {
                                                ControllerCore.restrictSocket(configuration.api)
                                                systemd?.notify("READY=1\nSTATUS=serving on \(configuration.api.socket)")
                                            })
        var services = [DaemonService("API on \(configuration.api.socket)", service: api)]
        if let tcp = configuration.api.tcp {
            let token = try configuration.api.token()
            services.append(DaemonService("API on tcp \(tcp.host):\(tcp.port)", service: ControllerAPI.application(
                scheduler: core.scheduler, journal: core.journal, address: .hostname(tcp.host, port: tcp.port), token: token, metrics: settings.metrics,
                limits: configuration.api.connections, upstreamLink: upstreamLink, sampling: { sampling.status })))
            output.info("api: tcp \(tcp.host):\(tcp.port) (token from \(configuration.api.tokenFile ?? "?"))")
        }
        return services
    }

    /// What `GET /v1/status` shows of the MQTT link, with `[upstream]`.
    private static func linkStatus(of client: MQTTClient?) -> (@Sendable () -> MQTTLinkStatus)? {
        guard let client else { return nil }
        return { client.linkStatus }
    }

    private static func describeTelemetry(_ settings: UpstreamSettings, node: String) -> String {
        TelemetryPayloadFormats.named(settings.telemetry)?.describe(settings, node) ?? settings.telemetry
    }
}
