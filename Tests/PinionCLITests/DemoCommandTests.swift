import Foundation
import Testing

@Suite("pinion demo")
struct DemoCommandTests {
    /// One board's energy line: what the rail monitor measured, the emulator's truth and the error printed.
    struct EnergyLine {
        var board: String
        var measured: Double
        var truth: Double
        var printedErrorPercent: Double?
        var line: String

        var errorPercent: Double { abs(measured - truth) / truth * 100 }

        init?(_ line: String) {
            guard line.hasPrefix("energy "),
                  let match = line.firstMatch(of: /^energy (\S+) .*?([0-9.]+) J measured.*?truth ([0-9.]+) J/),
                  let measured = Double(match.2), let truth = Double(match.3), truth > 0 else { return nil }
            board = String(match.1)
            self.measured = measured
            self.truth = truth
            printedErrorPercent = line.firstMatch(of: /error ([-+]?[0-9.]+) %/).flatMap { Double($0.1) }
            self.line = line
        }
    }

    /// Runs `pinion demo arguments…` and returns its energy lines, after checking that each prints its
    /// error in percent, agreeing with its measured and true energies.
    static func energyLines(_ arguments: [String]) throws -> [EnergyLine] {
        let outcome = try PinionProcess.run(["demo"] + arguments, timeoutSeconds: 120)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init).compactMap(EnergyLine.init)
        #expect(lines.map(\.board).sorted() == ["EMU-L-0001", "EMU-S-0001"], "\(outcome.stdout)")
        for line in lines {
            guard let printed = line.printedErrorPercent else {
                Issue.record("no error in percent printed: \(line.line)")
                continue
            }
            // The energies are printed to 0.1 mJ, the error to 0.01 %, both rounded from the same figures.
            #expect(abs(abs(printed) - line.errorPercent) <= 0.00011 / line.truth * 100 + 0.0051, "\(line.line)")
        }
        return lines
    }

    /// The demo as documented (2000 tasks, 4 s): within 0.5 % on every rail. Before the truth was taken
    /// over exactly the window the samplers measured, this showed 1.0–3.6 % on a loaded machine (the
    /// samplers started before the boards were linked, the truth after).
    @Test func demoEnergyIsWithinHalfAPercentOfTheTruth() throws {
        for line in try Self.energyLines([]) {
            #expect(line.errorPercent <= 0.5, "\(line.line)")
        }
    }

    /// A short run (200 tasks, 0.4 s) makes a difference of windows large next to the energy: before
    /// the fix EMU-S-0001 showed 2.4–3.5 % here on a quiet machine. What a 0.4 s run may still show
    /// is the measurement's own (docs/sensors.md, "In pinion demo"): the INA228's accumulator ends at
    /// its last completed 3.2 ms conversion at each end (up to 0.8 %), the INA226's 2.2 ms conversions
    /// sample a load that changes with every task (up to 0.6 % in 24 such runs).
    @Test func shortDemoEnergyIsTakenOverTheSampledWindow() throws {
        for line in try Self.energyLines(["--tasks", "200"]) {
            #expect(line.errorPercent <= 1, "\(line.line)")
        }
    }
}
