@testable import PinionSensors
import Testing

@Suite("Energy integration and attribution")
struct EnergyLedgerTests {
    @Test func trapezoidIsExactForAStraightRamp() {
        var rail = RailEnergyIntegrator(maximumGapSeconds: 1)
        for step in 0...100 { _ = rail.add(time: Double(step) * 0.01, watts: 2 + Double(step) * 0.1) }
        #expect(abs(rail.joules - (2 + 12) / 2 * 1.0) < 1e-9)
        #expect(rail.gaps.isEmpty)
    }

    @Test func samplesTooFarApartAreAGapNotAGuess() {
        var rail = RailEnergyIntegrator(maximumGapSeconds: 0.5)
        _ = rail.add(time: 0, watts: 10)
        _ = rail.add(time: 0.1, watts: 10)
        _ = rail.add(time: 3.1, watts: 10)
        _ = rail.add(time: 3.2, watts: 10)
        #expect(abs(rail.joules - 2) < 1e-9)
        #expect(rail.gaps == [EnergyGap(start: 0.1, end: 3.1, reason: "no sample for 3.00 s")])
        #expect(abs(rail.coveredSeconds - 0.2) < 1e-9)
    }

    @Test func accumulatorDifferencesAndResets() {
        var rail = RailEnergyIntegrator(maximumGapSeconds: 5)
        _ = rail.add(time: 0, watts: 1, accumulatorJoules: 100)
        let segment = rail.add(time: 1, watts: 1, accumulatorJoules: 112.5)
        #expect(segment == EnergySegment(start: 0, end: 1, joules: 12.5))
        _ = rail.add(time: 2, watts: 1, accumulatorJoules: 0.5)
        _ = rail.add(time: 3, watts: 1, accumulatorJoules: 10.5)
        #expect(rail.joules == 22.5)
        #expect(rail.gaps.map(\.reason) == ["energy accumulator reset"])
    }

    @Test func tasksShareTheBoardAndTheRestIsIdle() {
        var ledger = EnergyLedger()
        let tasks = [TaskInterval(taskID: "a", model: "mobilenet", board: "B1", start: 1, end: 3),
                     TaskInterval(taskID: "b", model: "yolo", board: "B1", start: 2, end: nil),
                     TaskInterval(taskID: "c", model: "yolo", board: "B2", start: 0, end: 4)]
        // 4 J/s over 0…4 s on board B1: 0–1 idle, 1–2 a, 2–3 a+b, 3–4 b.
        ledger.record(EnergySegment(start: 0, end: 4, joules: 16), board: "B1", tasks: tasks)
        #expect(ledger.perBoard == ["B1": 16])
        #expect(ledger.idlePerBoard == ["B1": 4])
        #expect(ledger.perTask == ["a": 6, "b": 6])
        #expect(ledger.perModel == ["mobilenet": 6, "yolo": 6])
        #expect(ledger.totalJoules == 16)
    }

    /// A gateway runs millions of tasks: each keeps its energy while a receipt may still ask for
    /// it, then goes; the board and model totals keep everything.
    @Test func tasksAreForgottenAfterTheRetentionButTotalsAreNot() {
        var ledger = EnergyLedger(taskRetentionSeconds: 60)
        for second in 0..<600 {
            let start = Double(second)
            let task = TaskInterval(taskID: "t\(second)", model: "digits", board: "B1", start: start, end: start + 0.5)
            ledger.record(EnergySegment(start: start, end: start + 1, joules: 2), board: "B1", tasks: [task])
        }
        #expect(ledger.perTask.count <= 60 + 15 + 1)
        #expect(ledger.perTask["t599"] == 1)
        #expect(ledger.perTask["t540"] == 1)
        #expect(ledger.perTask["t0"] == nil)
        #expect(ledger.perModel == ["digits": 600])
        #expect(ledger.idlePerBoard == ["B1": 600])
        #expect(ledger.perBoard == ["B1": 1200])
    }

    @Test func segmentsAcrossMidnightAreSplitByUTCDay() {
        var ledger = EnergyLedger(epochOffset: 1_795_564_800 - 1)   // time 1 = 2026-11-25T00:00:00Z
        ledger.record(EnergySegment(start: 0, end: 2, joules: 10), board: "B1", tasks: [])
        #expect(ledger.perDay == ["2026-11-24": 5, "2026-11-25": 5])
    }
}
