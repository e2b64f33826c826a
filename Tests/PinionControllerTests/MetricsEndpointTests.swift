import Foundation
import Logging
import PinionBoards
import PinionController
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionSensors
import PinionSystem
import PinionTestSupport
import ServiceLifecycle
import Testing

/// `GET /metrics` on the API socket, in-process against the simulated gateway (its boards linked,
/// its rail monitors sampled), with a registry of the test's own: the counters are exact.
@Suite("Metrics: GET /metrics on the API socket")
struct MetricsEndpointTests {
    @Test func countersAreExactAndBoardsThatLeaveDisappear() async throws {
        try await MetricsScenario.run(tasks: 60) { scenario in
            let (contentType, text) = try await scenario.scrape()
            #expect(contentType?.hasPrefix("text/plain; version=0.0.4") == true, "\(contentType ?? "no content type")")
            let scrape = try PrometheusScrape(text)
            let status = await scenario.core.scheduler.status()

            #expect(scrape.value("pinion_tasks_submitted_total", ["model": "digits"]) == 60)
            #expect(scrape.sum("pinion_tasks_completed_total") == 60)
            for board in status.boards {
                #expect(scrape.value("pinion_tasks_completed_total", ["model": "digits", "board": board.serial]) ?? 0 == Double(board.completed), "\(board.serial)")
                #expect(scrape.value("pinion_board_tasks_in_flight", ["board": board.serial]) == 0)
                #expect(scrape.value("pinion_board_task_slots", ["board": board.serial]) == Double(board.maxInFlight))
                #expect(scrape.value("pinion_board_hot", ["board": board.serial]) == 0)
                #expect(scrape.value("pinion_board_temperature_celsius", ["board": board.serial]) != nil, "\(board.serial)")
                #expect(scrape.value("pinion_board_power_watts", ["board": board.serial]).map { $0 > 0 } == true, "\(board.serial)")
                #expect(scrape.matching("pinion_board_info", ["board": board.serial, "mode": "runtime"]).count == 1, "\(board.serial)")
            }
            #expect(scrape.value("pinion_tasks_queued") == 0)
            #expect(scrape.sum("pinion_tasks_failed_total") == 0)
            #expect(scrape.value("pinion_task_latency_seconds_count", ["model": "digits"]) == 60)
            #expect(scrape.value("pinion_task_latency_seconds_bucket", ["model": "digits", "le": "+Inf"]) == 60)
            #expect(scrape.sum("pinion_task_compute_seconds_count") == 60)
            #expect(scrape.types["pinion_task_latency_seconds"] == "histogram")
            #expect(scrape.types["pinion_tasks_completed_total"] == "counter")
            // Boards the catalogue knows but that are not linked (bootloaders) are there as info only.
            #expect(!scrape.matching("pinion_board_info", ["mode": "bootloader"]).isEmpty)

            // The samplers are stopped: their counts and the meter's energy are final.
            for sampler in scenario.samplers {
                #expect(scrape.value("pinion_sampler_samples_total", ["bus": sampler.busName]) == Double(sampler.sampleCount))
                #expect(scrape.value("pinion_sampler_read_errors_total", ["bus": sampler.busName]) == Double(sampler.readErrorCount))
                #expect(scrape.value("pinion_sampler_sensors", ["bus": sampler.busName]) == Double(sampler.sensorCount))
            }
            for rail in scenario.meter.rails {
                let labels = ["bus": rail.source.bus, "address": rail.source.address.description, "channel": "", "rail": rail.source.label ?? ""]
                let joules = try #require(scrape.value("pinion_rail_energy_joules_total", labels), "\(rail.source)")
                #expect(abs(joules - rail.joules) <= 1e-9 * max(1, rail.joules), "\(rail.source)")
            }
            let boardJoules = try #require(scrape.value("pinion_board_energy_joules_total", ["board": "EMU-S-0001"]))
            #expect(boardJoules > 0 && abs(boardJoules - (scenario.meter.ledger.perBoard["EMU-S-0001"] ?? -1)) <= 1e-9)

            // EMU-S-0002 leaves: its series go with it.
            let device = try #require(try BoardInventory(catalogue: scenario.catalogue).scan(scenario.gateway.usb, includeUnknown: false)
                .first { $0.serial == "EMU-S-0002" })
            try #require(scenario.gateway.boards.first { $0.serial == "EMU-S-0002" }).unplug()
            await scenario.linker.handle(.detached(device))
            let after = try PrometheusScrape(try await scenario.scrape().text)
            #expect(after.matching("pinion_board_info", ["board": "EMU-S-0002"]).isEmpty)
            #expect(after.value("pinion_board_tasks_in_flight", ["board": "EMU-S-0002"]) == nil)
            #expect(after.value("pinion_board_temperature_celsius", ["board": "EMU-S-0002"]) == nil)
            #expect(after.value("pinion_board_tasks_in_flight", ["board": "EMU-S-0001"]) == 0)
            // What it completed stays counted.
            #expect(after.sum("pinion_tasks_completed_total") == 60)
        }
    }

    @Test(.enabled(if: Promtool.available(), "SKIPPED: /usr/bin/promtool is not installed (apt-get install prometheus)"))
    func scrapePassesPromtool() async throws {
        try await MetricsScenario.run(tasks: 10) { scenario in
            let text = try await scenario.scrape().text
            let verdict = try await Promtool.checkMetrics(text)
            #expect(verdict.clean, "\(verdict)\n\(text)")
        }
    }

    @Test func everyMetricIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/api.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for metric in PinionMetric.all {
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(metric.name)` |") }
            #expect(row != nil, "docs/api.md has no row for \(metric.name)")
            if let row {
                #expect(row.contains("| \(metric.kind.rawValue) |"), "docs/api.md: \(metric.name) is a \(metric.kind.rawValue)")
                for label in metric.labels { #expect(row.contains("`\(label)`"), "docs/api.md: \(metric.name) has label \(label)") }
            }
        }
    }
}

/// The simulated gateway with its boards linked and two rail monitors sampled, the scheduler
/// counting into a registry of its own, and the API (with `/metrics`) on a Unix socket.
struct MetricsScenario {
    let catalogue: BoardCatalogue
    let gateway: SimulatedGateway
    let core: ControllerCore
    let linker: BoardLinker
    let meter: EnergyMeter
    let samplers: [BusSampler]
    let client: ControllerClient

    func scrape() async throws -> (contentType: String?, text: String) {
        try await BlockingCall.run("scrape") { [client] in try client.text("/metrics") }
    }

    static let sensors = SimulatedGateway.sensorsTOML

    /// Sets the scenario up, runs `tasks` digit classifications through the API, waits for their
    /// results and for every linked board's first TELEMETRY, stops the samplers, then runs `body`.
    static func run(tasks: Int, _ body: (MetricsScenario) async throws -> Void) async throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: nil))
        let gateway = SimulatedGateway(catalogue: catalogue)
        defer { gateway.shutdown() }
        let directory = URL(fileURLWithPath: "/tmp/pinion-metrics-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = SchedulerSettings()
        settings.journal = directory.appendingPathComponent("journal.sqlite").path
        settings.policy = "round-robin"

        let metrics = ControllerMetrics()
        let configuration = try GatewayConfiguration.parse(sensors, file: "metrics test")
        let meter = EnergyMeter(boardOfRail: SensorSampling.boardsByRail(configuration))
        let (samplers, problems) = SensorSampling.samplers(for: configuration, buses: gateway.i2c, clock: MonotonicSamplerClock(), sink: meter)
        #expect(problems.isEmpty, "\(problems)")
        for sampler in samplers { sampler.start() }
        let stopSamplers: @Sendable () async -> Void = { _ = try? await BlockingCall.run("stop samplers") { for sampler in samplers { sampler.stop() } } }
        let core = try await ControllerCore(settings: settings, metrics: metrics.factory)
        let linker = BoardLinker(host: gateway.usb, catalogue: catalogue, scheduler: core.scheduler,
                                 logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, telemetryInterval: .milliseconds(20))
        for device in try BoardInventory(catalogue: catalogue).scan(gateway.usb, includeUnknown: false) {
            await linker.handle(.attached(device))
        }
        await metrics.watch(scheduler: core.scheduler, linker: linker, meter: meter, samplers: { samplers })

        let socket = directory.appendingPathComponent("api.sock").path
        let api = ControllerAPI.application(scheduler: core.scheduler, journal: core.journal, address: .unixDomainSocket(path: socket), metrics: metrics)
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(services: [api], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        let serviceRun = Task { try await services.run() }
        let client = ControllerClient(socketPath: socket)
        do {
            try await exercise(tasks: tasks, client: client, core: core, linker: linker, stopSamplers: stopSamplers)
            try await body(MetricsScenario(catalogue: catalogue, gateway: gateway, core: core, linker: linker, meter: meter,
                                           samplers: samplers, client: client))
        } catch {
            await stopSamplers()
            await services.triggerGracefulShutdown()
            await linker.closeAll()
            throw error
        }
        await services.triggerGracefulShutdown()
        _ = try? await serviceRun.value
        await linker.closeAll()
    }

    private static func exercise(tasks: Int, client: ControllerClient, core: ControllerCore, linker: BoardLinker,
                                 stopSamplers: () async -> Void) async throws {
        let split = try DigitsDataset.testSplit()
        let request = SubmitRequest(tasks: (0..<tasks).map { SubmitRequest.Task(id: "m\($0)", model: "digits", input: split[$0 % split.count].input.map(Int.init)) })
        let submitted = try await BlockingCall.run("submit") {
            var lastError: (any Error)?
            for _ in 0..<200 {
                do { return try client.post("/v1/tasks", request, as: SubmitResponse.self) } catch { lastError = error }
                Thread.sleep(forTimeInterval: 0.02)
            }
            throw lastError!
        }
        #expect(submitted.tasks.allSatisfy { $0.status == "accepted" })
        for index in 0..<tasks { _ = try await core.scheduler.result(of: "m\(index)") }
        // Results are counted once journaled; telemetry comes every 20 ms.
        _ = await eventually(timeout: .seconds(2)) {
            let linked = Set(await core.scheduler.status().boards.map(\.serial))
            let read = await linker.attachedBoards().filter { linked.contains($0.serial) && $0.celsius != nil }
            return read.count == linked.count && !linked.isEmpty
        }
        await stopSamplers()
    }
}
