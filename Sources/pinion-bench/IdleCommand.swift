import ArgumentParser
import Foundation
import PinionBenchmarks

/// `pinion-bench idle`: Pinion's footprint at rest next to prometheus-node-exporter and mosquitto,
/// started side by side in one run (see `FootprintRun`); with `--soak`, anonymous memory over
/// time under a steady task stream (see `SoakRun`). It prints figures and the goals beside them.
struct IdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "RSS, anonymous, private dirty, PSS and CPU of pinion run (no hardware, and --simulate at 100 Hz), prometheus-node-exporter and mosquitto side by side; or (--soak) memory under a task stream.")

    @Option(help: "The pinion executable.") var pinion = ".build/release/pinion"
    @Option(help: "Seconds to let the processes settle before the window.") var settle = 10.0
    @Option(help: "Seconds of the measured window.") var measure = 30.0
    @Option(help: "Seconds between scrapes of the node exporter, as Prometheus would (0: never).") var scrapeEvery = 15.0
    @Option(help: "The simulated gateway's power sampling rate, Hz.") var powerHz = 100.0
    @Option(help: "The prometheus-node-exporter executable.") var nodeExporter = "/usr/bin/prometheus-node-exporter"
    @Option(help: "The mosquitto executable.") var mosquitto = "/usr/sbin/mosquitto"
    @Option(help: "Soak instead: tasks per second through the API of pinion run --simulate.") var soak: Double?
    @Option(help: "Soak: seconds to run.") var duration = 600.0
    @Option(help: "Soak: seconds between memory samples.") var sampleEvery = 30.0

    func validate() throws {
        if settle < 0 || measure <= 0 { throw ValidationError("--settle takes seconds >= 0 and --measure seconds > 0") }
        if let soak, soak <= 0 { throw ValidationError("--soak takes a positive number of tasks per second") }
        if duration <= 0 || sampleEvery <= 0 { throw ValidationError("--duration and --sample-every take positive seconds") }
    }

    func run() throws {
        guard FileManager.default.isExecutableFile(atPath: pinion) else {
            throw ValidationError("no pinion executable at \(pinion): build it first (swift build -c release --product pinion) or pass --pinion")
        }
        if let soak { return try runSoak(tasksPerSecond: soak) }
        var plan = FootprintRun.Plan(pinion: URL(fileURLWithPath: pinion))
        plan.nodeExporter = nodeExporter
        plan.mosquitto = mosquitto
        plan.settleSeconds = settle
        plan.measureSeconds = measure
        plan.scrapeSeconds = scrapeEvery
        plan.powerHertz = powerHz
        say("idle footprint: 4 processes side by side, settled \(Int(settle)) s, measured over \(Int(measure)) s; "
              + (scrapeEvery > 0 ? "node exporter scraped every \(Int(scrapeEvery)) s" : "node exporter not scraped"))
        let (rows, scrapes) = try FootprintRun(plan: plan) { say($0) }.run()
        say(pad("process", 34) + pad("RSS", 11) + pad("anonymous", 11) + pad("priv dirty", 12) + pad("PSS", 11) + pad("CPU (1 core)", 14) + "threads")
        for row in rows {
            let memory = row.memory
            say(pad(row.name, 34) + pad(mib(memory.rssKiB), 11) + pad(mib(memory.anonymousKiB), 11) + pad(mib(memory.privateDirtyKiB), 12)
                  + pad(mib(memory.pssKiB), 11) + pad(percent(row.coreFraction), 14) + "\(row.threads)")
        }
        say("(MiB; memory at the end of the window from /proc/PID/smaps_rollup, CPU from /proc/PID/stat utime+stime; \(scrapes) scrapes in all)")
        let bare = rows[0], simulated = rows[1]
        say("goals: pinion run anonymous <= 8 MB: \(verdict(bare.memory.anonymousKiB, megabytes: 8)); private dirty <= 10 MB: \(verdict(bare.memory.privateDirtyKiB, megabytes: 10)); "
              + "--simulate private dirty <= 12 MB: \(verdict(simulated.memory.privateDirtyKiB, megabytes: 12)); "
              + "CPU <= 1 % with the simulated gateway: \(simulated.coreFraction <= 0.01 ? "met" : "NOT met")")
    }

    private func runSoak(tasksPerSecond: Double) throws {
        var plan = SoakRun.Plan(pinion: URL(fileURLWithPath: pinion))
        plan.tasksPerSecond = tasksPerSecond
        plan.seconds = duration
        plan.sampleSeconds = sampleEvery
        say("soak: pinion run --simulate (sensors at 100 Hz), \(Int(tasksPerSecond)) digits tasks/s through its API for \(Int(duration)) s, "
              + "memory every \(Int(sampleEvery)) s")
        let outcome = try SoakRun(plan: plan) { say($0) }.run()
        let level = outcome.levelsOff()
        let peak = outcome.samples.map(\.memory.anonymousKiB).max() ?? 0
        say("soak: \(outcome.samples.last?.submitted ?? 0) tasks submitted (\(outcome.refused) refused or unanswered), CPU \(percent(outcome.coreFraction)) of one core; "
            + "anonymous peak \(mib(peak)) MiB; middle third \(mib(level.middle.lowerBound))–\(mib(level.middle.upperBound)) MiB, "
            + "last third \(mib(level.last.lowerBound))–\(mib(level.last.upperBound)) MiB: " + (level.levels ? "levels off (the floor holds)" : "still growing (the floor rises)"))
        say("goal: anonymous memory levels off at <= 32 MB: \(level.levels && peak * 1024 <= 32_000_000 ? "met" : "NOT met")")
    }

    private func mib(_ kib: Int) -> String { ProcessFootprint.mib(kib) }

    private func verdict(_ kib: Int, megabytes: Int) -> String { kib * 1024 <= megabytes * 1_000_000 ? "met" : "NOT met" }
}

/// One line out at once, also when standard output is a pipe (a run takes minutes).
private func say(_ line: String) {
    print(line)
    fflush(nil)
}
