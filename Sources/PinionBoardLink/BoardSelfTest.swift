import Foundation

/// The self-test `pinion diag` runs over the board protocol: HELLO, load a model, run known
/// vectors and compare the outputs bit for bit, measure round-trip latency and throughput for a
/// while, unload. Every step is kept in `trace` for the support bundle.
public struct BoardSelfTest: Sendable {
    /// One input and the output the reference interpreter computes for it.
    public struct Vector: Sendable, Hashable {
        public var input: [UInt8]
        public var expected: [UInt8]

        public init(input: [UInt8], expected: [UInt8]) {
            self.input = input
            self.expected = expected
        }
    }

    public var modelID: String
    public var model: [UInt8]
    public var vectors: [Vector]
    /// How long to measure latency and throughput after the vectors.
    public var measureFor: Duration

    public init(modelID: String, model: [UInt8], vectors: [Vector], measureFor: Duration) {
        self.modelID = modelID
        self.model = model
        self.vectors = vectors
        self.measureFor = measureFor
    }

    /// Runs the self-test on `connection`; never throws: a failing step ends the test and says why.
    public func run(on connection: BoardConnection) async -> BoardSelfTestReport {
        var report = BoardSelfTestReport()
        let started = ContinuousClock.now
        func step(_ name: String, _ detail: String) {
            report.trace.append(.init(milliseconds: (ContinuousClock.now - started).milliseconds, step: name, detail: detail))
        }
        var loaded = false
        do {
            let info = try await connection.hello()
            report.firmware = info.firmwareVersion
            step("hello", "firmware \(info.firmwareVersion), serial \(info.serial), \(info.maxInFlight) in flight, models loaded: \(info.loadedModels)")
            try await connection.loadModel(id: modelID, bytes: model)
            loaded = true
            step("load", "\(modelID): \(model.count) bytes")
            for (index, vector) in vectors.enumerated() {
                let output = try await connection.infer(modelID: modelID, input: vector.input).output
                report.vectors += 1
                if output != vector.expected {
                    report.mismatches += 1
                    if report.firstMismatch == nil {
                        report.firstMismatch = "vector \(index): expected \(vector.expected.map { Int8(bitPattern: $0) }), got \(output.map { Int8(bitPattern: $0) })"
                        step("mismatch", report.firstMismatch!)
                    }
                }
            }
            step("vectors", "\(report.vectors - report.mismatches) of \(report.vectors) bit-exact")
            if !vectors.isEmpty && measureFor > .zero {
                try await measure(connection, into: &report)
                step("measure", String(format: "%d inferences in %.2f s: %.0f/s, round trip median %.3f ms, max %.3f ms",
                                       report.measuredInferences, report.measuredSeconds, report.inferencesPerSecond,
                                       report.medianRoundTripMilliseconds, report.maxRoundTripMilliseconds))
            }
            try await connection.unloadModel(id: modelID)
            loaded = false
            step("unload", modelID)
        } catch {
            report.error = "\(error)"
            step("error", "\(error)")
            if loaded {
                do { try await connection.unloadModel(id: modelID); step("unload", modelID) }
                catch { step("unload", "failed: \(error)") }
            }
        }
        return report
    }

    /// One request at a time, so each round trip is a latency sample.
    private func measure(_ connection: BoardConnection, into report: inout BoardSelfTestReport) async throws {
        var roundTrips: [Double] = []
        let start = ContinuousClock.now
        var index = 0
        while ContinuousClock.now - start < measureFor {
            let vector = vectors[index % vectors.count]
            let sent = ContinuousClock.now
            let output = try await connection.infer(modelID: modelID, input: vector.input).output
            roundTrips.append((ContinuousClock.now - sent).milliseconds)
            if output != vector.expected { report.mismatches += 1 }
            index += 1
        }
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        roundTrips.sort()
        report.measuredInferences = roundTrips.count
        report.measuredSeconds = seconds
        report.inferencesPerSecond = seconds > 0 ? Double(roundTrips.count) / seconds : 0
        report.medianRoundTripMilliseconds = roundTrips.isEmpty ? 0 : roundTrips[roundTrips.count / 2]
        report.maxRoundTripMilliseconds = roundTrips.last ?? 0
    }
}

/// What a self-test found.
public struct BoardSelfTestReport: Sendable, Hashable, Codable {
    /// One step of the self-test, with its time since the start.
    public struct Step: Sendable, Hashable, Codable {
        public var milliseconds: Double
        public var step: String
        public var detail: String
    }

    public var firmware: String?
    /// Known vectors run.
    public var vectors = 0
    /// Outputs that did not match bit for bit: of the known vectors and of the measured requests
    /// (which send the same vectors again).
    public var mismatches = 0
    public var firstMismatch: String?
    public var measuredInferences = 0
    public var measuredSeconds = 0.0
    public var inferencesPerSecond = 0.0
    public var medianRoundTripMilliseconds = 0.0
    public var maxRoundTripMilliseconds = 0.0
    /// The request that failed, if one did.
    public var error: String?
    public var trace: [Step] = []

    public init() {}

    /// True when every step ran and every output matched.
    public var passed: Bool { error == nil && mismatches == 0 && vectors > 0 }

    /// One line for a technician.
    public var summary: String {
        if let error { return "failed: \(error)" }
        if mismatches > 0 {
            return "\(mismatches) of \(vectors + measuredInferences) outputs not bit-exact (first: \(firstMismatch ?? "?")): the board computes wrong results; reflash or replace it"
        }
        if measuredInferences == 0 { return "\(vectors) vectors bit-exact (latency and throughput not measured)" }
        return String(format: "%d vectors bit-exact; %.0f inferences/s, round trip median %.3f ms, max %.3f ms (%d in %.1f s)",
                      vectors, inferencesPerSecond, medianRoundTripMilliseconds, maxRoundTripMilliseconds, measuredInferences, measuredSeconds)
    }
}

extension Duration {
    fileprivate var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
