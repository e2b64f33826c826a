import Foundation
import Testing

@Suite("pinion i2c")
struct I2CCommandTests {
    @Test func simulatedScanPrintsI2cdetectGrid() throws {
        let outcome = try PinionProcess.run(["i2c", "scan", "--simulate", "1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f")
        #expect(lines[1] == "00:                         -- -- -- -- -- -- -- -- ")
        #expect(lines.contains("40: 40 41 42 -- 44 -- -- -- 48 49 -- -- -- -- -- -- "))
        #expect(lines.contains("50: 50 UU -- -- -- -- -- -- -- -- -- -- -- -- -- -- "))
        #expect(lines.contains("70: -- -- -- -- -- -- -- --                         "))
    }

    @Test func scanJSONNamesPresentAndClaimedAddresses() throws {
        let results = try #require(try PinionProcess.json(["i2c", "scan", "--simulate", "--json", "1"]) as? [[String: Any]])
        let entries = try #require(results.first?["entries"] as? [[String: Any]])
        let present = entries.filter { $0["status"] as? String == "present" }.compactMap { $0["address"] as? Int }
        #expect(present == [0x40, 0x41, 0x42, 0x44, 0x48, 0x49, 0x50])
        #expect(entries.contains { $0["address"] as? Int == 0x51 && $0["status"] as? String == "busy" })
    }

    @Test func busesListsTheEmulatedAdapter() throws {
        let outcome = try PinionProcess.run(["i2c", "buses", "--simulate"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("i2c-1"))
    }

    @Test func unknownBusIsAClearError() throws {
        let outcome = try PinionProcess.run(["i2c", "scan", "--simulate", "7"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("i2c-7"))
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/sys/class/i2c-dev"),
                   "SKIPPED: this machine has i2c-dev; the 'not loaded' advice is checked where it is missing"))
    func withoutI2CDevItSaysWhatToLoad() throws {
        let outcome = try PinionProcess.run(["i2c", "buses"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("modprobe i2c-dev"))
    }
}
