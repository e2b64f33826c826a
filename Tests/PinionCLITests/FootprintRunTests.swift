import Foundation
import PinionBenchmarks
import PinionSystem
import PinionTestSupport
import Testing

/// `pinion-bench idle` in short (issue #15): the four daemons side by side, each one's figures
/// read from its own /proc files, the node exporter scraped, everything stopped afterwards.
@Suite("footprint: pinion run, pinion run --simulate, node exporter and mosquitto side by side (real processes)",
       .enabled(if: MosquittoBroker.available() && FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus-node-exporter"),
                "SKIPPED: needs /usr/sbin/mosquitto and /usr/bin/prometheus-node-exporter (apt-get install mosquitto prometheus-node-exporter)"))
struct FootprintRunTests {
    @Test func fourProcessesMeasuredAndStopped() async throws {
        var plan = FootprintRun.Plan(pinion: PinionProcess.executable)
        plan.settleSeconds = 1
        plan.measureSeconds = 2
        plan.scrapeSeconds = 1
        let settings = plan
        let (rows, scrapes) = try await BlockingCall.run("footprint run") { try FootprintRun(plan: settings) { print($0) }.run() }
        #expect(rows.map(\.name) == ["pinion run (no hardware)", "pinion run --simulate (100 Hz)", "prometheus-node-exporter", "mosquitto"])
        for row in rows {
            #expect(row.memory.rssKiB > 0 && row.memory.anonymousKiB > 0 && row.memory.privateDirtyKiB > 0, "\(row.name)")
            #expect(row.memory.pssKiB <= row.memory.rssKiB && row.memory.anonymousKiB <= row.memory.rssKiB, "\(row.name)")
            #expect(row.coreFraction >= 0 && row.threads >= 1, "\(row.name)")
        }
        // The simulated gateway runs its emulated boards and sampler in the process: more threads than the bare one.
        #expect(rows[1].threads > rows[0].threads)
        #expect(scrapes >= 3)
        let leftovers = try ProgramRun("/usr/bin/pgrep", ["-f", "pinion-footprint-"]).stdout
        #expect(leftovers.isEmpty, "processes of the run still running: \(leftovers)")
    }

    /// The figures of this very process: memory it touched is anonymous, CPU time it spent counts.
    @Test func ownProcessFigures() throws {
        let before = try ProcessFootprint(pid: getpid())
        var buffer = [UInt8](repeating: 1, count: 8 << 20)
        let started = Date()
        var sum = 0
        while Date().timeIntervalSince(started) < 0.3 { for index in stride(from: 0, to: buffer.count, by: 4096) { buffer[index] &+= 1; sum &+= Int(buffer[index]) } }
        let after = try ProcessFootprint(pid: getpid())
        #expect(sum != 0)
        #expect(after.anonymousKiB >= 8 * 1024)
        #expect(after.cpuTicks > before.cpuTicks)
        #expect(throws: (any Error).self) { try ProcessFootprint(pid: -1) }
    }
}
