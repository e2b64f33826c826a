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

    /// The demo's energy within 0.5 % of the truth on every rail, over 8 s (4000 tasks at the default
    /// 500 tasks/s). Before the truth was taken over exactly the window the samplers measured, the
    /// default 4 s run showed 1.0–3.6 % on a loaded machine (the samplers started before the boards
    /// were linked, the truth after). Then, with the INA226 at its power-on settings (one 2.2 ms
    /// conversion per 10 ms read), its rail read 1.33 % low beside this whole suite in a clean-clone
    /// CI run: the reads came late exactly when the shared cores were busy with the boards it
    /// measures. The sampler now has it average over the whole period (docs/sensors.md).
    @Test func demoEnergyIsWithinHalfAPercentOfTheTruth() throws {
        let lines = try Self.energyLines(["--tasks", "4000"])
        #expect(lines.count == 2, "one energy line per monitored rail")
        for line in lines {
            #expect(line.errorPercent <= 0.5, "\(line.line)")
        }
    }
}
