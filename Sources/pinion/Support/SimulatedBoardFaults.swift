import Foundation
import PinionEmulator

/// Faults put into the simulated gateway's boards from the environment, by `--simulate` and by
/// `pinion sim` alike, so a failing self-test or a hot board can be seen in-process and over
/// USB/IP in the lab:
///
/// - `PINION_SIM_WRONG_OUTPUTS=SERIAL[,SERIAL…]`: those boards' NPUs answer wrong outputs (now
///   and after every re-enumeration);
/// - `PINION_SIM_EXTRA_CELSIUS=SERIAL=DEGREES[,…]`: those boards' NPUs report a hotter die.
enum SimulatedBoardFaults {
    /// Applies the faults the environment names; returns one line per fault applied. A serial
    /// the gateway lacks, or an entry that does not parse, is an error naming the variable.
    @discardableResult
    static func apply(to gateway: SimulatedGateway,
                      environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        var applied: [String] = []
        func board(_ serial: String, _ variable: String) throws -> EmulatedBoard {
            guard let board = gateway.boards.first(where: { $0.serial == serial }) else {
                throw CommandError("\(variable): no emulated board '\(serial)' (serials: \(gateway.boards.map(\.serial).joined(separator: ", ")))")
            }
            return board
        }
        for serial in (environment["PINION_SIM_WRONG_OUTPUTS"] ?? "").split(separator: ",").map(String.init) {
            try board(serial, "PINION_SIM_WRONG_OUTPUTS").wrongOutputs = true
            applied.append("\(serial) answers wrong outputs (PINION_SIM_WRONG_OUTPUTS)")
        }
        for item in (environment["PINION_SIM_EXTRA_CELSIUS"] ?? "").split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, let degrees = Double(pair[1]) else {
                throw CommandError("PINION_SIM_EXTRA_CELSIUS: '\(item)' is not SERIAL=DEGREES for an emulated board")
            }
            try board(pair[0], "PINION_SIM_EXTRA_CELSIUS").npu?.extraCelsius = degrees
            applied.append("\(pair[0]) reports its die \(pair[1]) °C hotter (PINION_SIM_EXTRA_CELSIUS)")
        }
        return applied
    }
}
