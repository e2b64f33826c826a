import Foundation
import Synchronization

/// Reads every sensor of one I2C bus on its schedule, on a thread of its own (I2C transfers
/// block; the concurrency pool never waits for a sensor), and hands each sample or health change
/// to a sink.
///
/// One thread per bus: transfers on a bus are serial anyway, and a stuck bus delays only its own
/// sensors. Each sensor has a fixed schedule (`start + n × period`, so reads do not drift); a
/// sensor that fails is retried with backoff, reported degraded after `degradedAfter` failures,
/// prepared anew and reported recovered when it answers again. A read that overruns its slot
/// moves the schedule on rather than bursting to catch up.
public final class BusSampler: Sendable {
    public let busName: String
    private let plan: SamplingPlan
    private let clock: any SamplerClock
    private let sink: any SamplerSink
    private let state: Mutex<State>
    private let stopFlag = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finishedCondition = NSCondition()

    private struct Entry {
        let sensor: any Sensor
        let period: Double
        /// Reads are due at `origin + slot × period` while the sensor answers.
        let origin: Double
        var slot = 0
        var due: Double
        var prepared = false
        var failures = 0
        var degradedSince: Double?
        var lastError: SensorError?
    }

    private struct State {
        var entries: [Entry]
        var samples = 0
        var readErrors = 0
    }

    public init(busName: String, sensors: [any Sensor], plan: SamplingPlan = SamplingPlan(),
                clock: any SamplerClock, sink: any SamplerSink) {
        self.busName = busName
        self.plan = plan
        self.clock = clock
        self.sink = sink
        let start = clock.now()
        state = Mutex(State(entries: sensors.map { sensor in
            let period = plan.period(for: sensor.source.type)
            return Entry(sensor: sensor.forSampling(every: period), period: period, origin: start, due: start)
        }))
    }

    /// Sensors this sampler reads.
    public var sensorCount: Int { state.withLock { $0.entries.count } }

    /// Samples taken so far.
    public var sampleCount: Int { state.withLock { $0.samples } }

    /// Reads (or preparations) that failed so far.
    public var readErrorCount: Int { state.withLock { $0.readErrors } }

    /// Sensors currently degraded.
    public var degraded: [SensorSource] {
        state.withLock { $0.entries.filter { $0.degradedSince != nil }.map(\.sensor.source) }
    }

    /// Sleeps until the next sensor is due and reads it. Returns false when there is nothing to read.
    @discardableResult
    public func step() -> Bool {
        guard let (index, due) = state.withLock({ state -> (Int, Double)? in
            guard let index = state.entries.indices.min(by: { state.entries[$0].due < state.entries[$1].due }) else { return nil }
            return (index, state.entries[index].due)
        }) else { return false }
        // Sleep in slices so that stop() is heard within 100 ms even before a 5 s backoff ends.
        while clock.now() < due {
            if stopFlag.load(ordering: .acquiring) { return false }
            clock.sleep(until: min(due, clock.now() + 0.1))
        }
        let (sensor, needsPrepare) = state.withLock { ($0.entries[index].sensor, !$0.entries[index].prepared) }
        let time = clock.now()
        let result: Result<[SensorReading], SensorError>
        do throws(SensorError) {
            if needsPrepare { try sensor.prepare() }
            result = .success(try sensor.sample())
        } catch {
            result = .failure(error)
        }
        let events = state.withLock { state in
            if case .failure = result { state.readErrors += 1 }
            return record(result, time: time, entry: &state.entries[index], samples: &state.samples)
        }
        for event in events { sink.receive(event) }
        return true
    }

    /// Updates one sensor's schedule and health after a read; returns what to report.
    private func record(_ result: Result<[SensorReading], SensorError>, time: Double, entry: inout Entry,
                        samples: inout Int) -> [SamplerEvent] {
        let source = entry.sensor.source
        switch result {
        case .success(let readings):
            var events: [SamplerEvent] = []
            if let since = entry.degradedSince {
                events.append(.recovered(source, at: time, downSeconds: time - since))
            }
            entry.prepared = true
            entry.failures = 0
            entry.degradedSince = nil
            entry.lastError = nil
            samples += 1
            events.append(.sample(SensorSample(source: source, time: time, readings: readings)))
            // The next slot after this read, skipping slots it overran (and the outage, if any).
            entry.slot = max(entry.slot + 1, Int(((clock.now() - entry.origin) / entry.period).rounded(.up)))
            entry.due = entry.origin + Double(entry.slot) * entry.period
            return events
        case .failure(let error):
            entry.failures += 1
            entry.lastError = error
            // After a failure the chip may have reset (lost its configuration): prepare it again.
            entry.prepared = false
            entry.due = time + plan.backoff(period: entry.period, failures: entry.failures)
            guard entry.failures == plan.degradedAfter else { return [] }
            entry.degradedSince = time
            return [.degraded(source, error: error, at: time, failures: entry.failures)]
        }
    }

    /// Runs `step()` on a new thread until `stop()`.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            while !stopFlag.load(ordering: .acquiring) && step() {}
            finishedCondition.lock()
            finished.withLock { $0 = true }
            finishedCondition.broadcast()
            finishedCondition.unlock()
        }
        thread.name = "pinion-sampler \(busName)"
        thread.start()
    }

    /// Stops the thread after the read in progress and waits for it (within about 100 ms).
    public func stop() {
        stopFlag.store(true, ordering: .releasing)
        guard started.load(ordering: .acquiring) else { return }
        finishedCondition.lock()
        while !finished.withLock({ $0 }) { finishedCondition.wait() }
        finishedCondition.unlock()
    }
}
