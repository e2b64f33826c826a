import Foundation
import PinionEmulator
import PinionSensors
import Testing

@Suite("pinion sensors")
struct SensorsCommandTests {
    /// Every registered driver reads its emulated chip on the simulated gateway's bus, at the address
    /// `EmulatedChips` places it, through the CLI as a user would name it.
    @Test func simulateReadsEveryRegisteredChip() throws {
        let chips = EmulatedChips.all.map { entry -> String in
            let driver = entry.type.driver
            var spec = "\(entry.type.rawValue)@\(entry.chipSetAddress)"
            if driver.measures == .power { spec += ",shunt=0.01" }
            if let channels = driver.channels { spec += ",channel=\(channels.lowerBound)" }
            return spec
        }
        let arguments = ["sensors", "--simulate", "--json", "1"] + chips.flatMap { ["--chip", $0] }
        let outcome = try PinionProcess.run(arguments)
        #expect(outcome.status == 0, "pinion \(arguments.joined(separator: " ")): \(outcome.stderr)")
        let readings = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        let types = readings.compactMap { ($0["source"] as? [String: Any])?["type"] as? String }
        #expect(Set(types) == Set(SensorDrivers.all.map(\.type.rawValue)))
        #expect(types == EmulatedChips.all.map(\.type.rawValue), "one reading per chip, in the order named")
    }
}
