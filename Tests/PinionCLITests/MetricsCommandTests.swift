import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PinionController
import PinionEmulator
import PinionModels
import PinionScheduler
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Testing

/// `pinion run --simulate` scraped as Prometheus would: `GET /metrics` on the socket and on TCP
/// (behind the token), counting exactly the tasks it ran.
@Suite("pinion run: GET /metrics")
struct MetricsCommandTests {
    @Test func scrapeOnSocketAndTCPCountsTheTasksRun() async throws {
        try await MetricsRun.with(tasks: 40) { run in
            let (contentType, text) = try await BlockingCall.run("scrape") { [client = run.client] in try client.text("/metrics") }
            #expect(contentType?.hasPrefix("text/plain; version=0.0.4") == true, "\(contentType ?? "no content type")")
            let scrape = try PrometheusScrape(text)
            #expect(scrape.value("pinion_tasks_submitted_total", ["model": "digits"]) == 40)
            #expect(scrape.sum("pinion_tasks_completed_total") == 40)
            #expect(scrape.value("pinion_task_latency_seconds_count", ["model": "digits"]) == 40)
            #expect(scrape.value("pinion_tasks_queued") == 0)
            #expect(scrape.matching("pinion_board_info", ["mode": "runtime"]).count == 4)
            // The built-in simulated gateway's rail monitors and thermometers are sampled.
            #expect(scrape.value("pinion_sampler_samples_total", ["bus": "i2c-1"]).map { $0 > 0 } == true)
            #expect(scrape.sum("pinion_rail_energy_joules_total") > 0)

            // TCP: the token is needed for /metrics too.
            #expect(try await run.tcpGet("/metrics", authorization: nil).status == 401)
            #expect(try await run.tcpGet("/metrics", authorization: "Bearer wrong-token-of-some-length").status == 401)
            let (status, tcpText) = try await run.tcpGet("/metrics", authorization: "Bearer \(run.token)")
            #expect(status == 200)
            #expect(try PrometheusScrape(tcpText).sum("pinion_tasks_completed_total") == 40)
        }
    }

    @Test(.enabled(if: Promtool.available(), "SKIPPED: /usr/bin/promtool is not installed (apt-get install prometheus)"))
    func daemonScrapePassesPromtool() async throws {
        try await MetricsRun.with(tasks: 10) { run in
            let text = try await BlockingCall.run("scrape") { [client = run.client] in try client.text("/metrics").text }
            let verdict = try await Promtool.checkMetrics(text)
            #expect(verdict.clean, "\(verdict)\n\(text)")
        }
    }

    @Test(.enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"),
          .enabled(if: Promtool.available(), "SKIPPED: /usr/bin/promtool is not installed (apt-get install prometheus)"))
    func upstreamOutboxAndPublishedCounts() async throws {
        let broker = try MosquittoBroker()
        try await MetricsRun.with(tasks: 5, upstream: (broker.port, "topic_prefix = \"gw-metrics\"")) { run in
            // Each receipt goes to the outbox about a second after its result, then to the broker.
            var scrape = try PrometheusScrape("")
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                text = try await BlockingCall.run("scrape") { [client = run.client] in try client.text("/metrics").text }
                scrape = try PrometheusScrape(text)
                if (scrape.value("pinion_upstream_published_messages_total") ?? 0) >= 5 && scrape.value("pinion_upstream_outbox_messages") == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect((scrape.value("pinion_upstream_published_messages_total") ?? 0) >= 5, "\(text)")
            #expect(scrape.value("pinion_upstream_outbox_messages") == 0, "\(text)")
            let verdict = try await Promtool.checkMetrics(text)
            #expect(verdict.clean, "\(verdict)\n\(text)")
        }
    }

    /// A refused login shows in `/metrics` and in `GET /v1/status` (what `pinion status` prints)
    /// while it lasts, and the password file mended in place ends it with no restart.
    @Test(.enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
    func aRefusedLoginShowsInStatusAndMetricsUntilThePasswordFileIsMended() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: ["gateway": "right"]))
        let passwordFile = broker.directory.appendingPathComponent("gateway-password").path
        try "wrong\n".write(toFile: passwordFile, atomically: false, encoding: .utf8)
        let keys = "username = \"gateway\"\npassword_file = \"\(passwordFile)\"\nsession_expiry_s = 3600"
        try await MetricsRun.with(tasks: 1, upstream: (broker.port, keys)) { run in
            func scrape() async throws -> PrometheusScrape {
                try PrometheusScrape(try await BlockingCall.run("scrape") { [client = run.client] in try client.text("/metrics").text })
            }
            func status() async throws -> ControllerStatus {
                try await BlockingCall.run("status") { [client = run.client] in try client.get("/v1/status", as: ControllerStatus.self) }
            }
            var metrics = try await scrape()
            for _ in 0..<200 where (metrics.value("pinion_upstream_connect_attempts_total") ?? 0) < 2 {
                try await Task.sleep(for: .milliseconds(50))
                metrics = try await scrape()
            }
            #expect(metrics.value("pinion_upstream_connected") == 0)
            #expect((metrics.value("pinion_upstream_connect_attempts_total") ?? 0) >= 2)
            #expect((metrics.value("pinion_upstream_failed_attempts") ?? 0) >= 1)
            #expect(metrics.value("pinion_upstream_connections_total") == 0)
            let refused = try #require(try await status().upstream)
            #expect(refused.state == .waitingToRetry || refused.state == .connecting, "\(refused)")
            #expect(refused.lastError?.contains("refused the credentials of user \"gateway\"") == true, "\(refused)")
            #expect(refused.line().hasPrefix("upstream: NOT CONNECTED, "), "\(refused.line())")

            try "right\n".write(toFile: passwordFile, atomically: false, encoding: .utf8)
            for _ in 0..<900 where metrics.value("pinion_upstream_connected") != 1 {
                try await Task.sleep(for: .milliseconds(50))
                metrics = try await scrape()
            }
            #expect(metrics.value("pinion_upstream_connected") == 1)
            #expect(metrics.value("pinion_upstream_connections_total") == 1)
            #expect(metrics.value("pinion_upstream_failed_attempts") == 0)
            let connected = try #require(try await status().upstream)
            #expect(connected.state == .connected && connected.connections == 1, "\(connected)")
            #expect(connected.line() == "upstream: connected to 127.0.0.1:\(broker.port) (1 connection, \(connected.attempts) attempts)")
        }
    }
}

/// `pinion run --simulate` with the built-in gateway's sensors, the API on a socket and on TCP
/// with a token, after `tasks` digit classifications.
struct MetricsRun {
    let client: ControllerClient
    let port: Int
    let token: String

    func tcpGet(_ path: String, authorization: String?) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// - Parameter upstream: a broker port and more `[upstream]` keys.
    static func with(tasks: Int, upstream: (port: Int, keys: String)? = nil, _ body: (MetricsRun) async throws -> Void) async throws {
        let port = 20_000 + Int.random(in: 0..<20_000)
        let token = "metrics-token-\(UUID().uuidString)"
        let gateway = try TestGateway("metrics", tcp: (port, token), upstream: upstream, extra: SimulatedGateway.sensorsTOML)
        defer { gateway.remove() }
        let client = gateway.client
        let config = gateway.config
        let process = try await BlockingCall.run("start pinion") { try ControllerRestartTests.start(config: config, client: client) }
        let stop = { _ = try? await BlockingCall.run("stop pinion") { process.terminate(); process.waitUntilExit() } }
        do {
            try await BlockingCall.run("run tasks") {
                let split = try DigitsDataset.testSplit()
                let request = SubmitRequest(tasks: (0..<tasks).map { SubmitRequest.Task(id: "p\($0)", model: "digits", input: split[$0].input.map(Int.init)) })
                _ = try client.post("/v1/tasks", request, as: SubmitResponse.self)
                try waitForCompleted(client, tasks)
            }
            try await body(MetricsRun(client: client, port: port, token: token))
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    /// Waits until the scheduler counts `tasks` completed: it counts them in the same step as the
    /// metrics do (the journal has them a moment earlier).
    static func waitForCompleted(_ client: ControllerClient, _ tasks: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let status = try? client.get("/v1/status", as: SchedulerStatus.self), status.statistics.completed >= tasks { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw CLIError("fewer than \(tasks) tasks completed within 60 s")
    }
}
