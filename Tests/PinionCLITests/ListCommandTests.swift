import Foundation
import Testing

@Suite("pinion list")
struct ListCommandTests {
    @Test func simulatedBoardsAreListedWithModelModeAndSerial() throws {
        let outcome = try PinionProcess.run(["list", "--simulate"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("PATH") == true)
        #expect(lines.contains { $0.contains("1209:0002") && $0.contains("pinion-emu-npu-s") && $0.contains("runtime") && $0.contains("high") })
        #expect(lines.contains { $0.contains("1209:0005") && $0.contains("pinion-emu-npu-l") && $0.contains("bootloader") })
        #expect(lines.contains { $0.contains("1a6e:089a") && $0.contains("coral-usb-accelerator") && $0.contains("bootloader") })
        #expect(!outcome.stdout.contains("(unknown"), "unknown devices only with --all")
    }

    @Test func jsonListsEveryFieldAndAllAddsUnknownDevices() throws {
        let known = try #require(try PinionProcess.json(["list", "--simulate", "--json"]) as? [String: Any])
        let devices = try #require(known["devices"] as? [[String: Any]])
        #expect(devices.count == 7)
        let first = try #require(devices.first)
        for key in ["path", "id", "board", "boardName", "mode", "serial", "speed", "manufacturer", "product", "deviceVersion"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        let all = try #require(try PinionProcess.json(["list", "--simulate", "--json", "--all"]) as? [String: Any])
        let everything = try #require(all["devices"] as? [[String: Any]])
        #expect(everything.count == devices.count + 1)
        #expect(everything.contains { $0["board"] == nil && $0["id"] as? String == "046d:c52b" })
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/sys/bus/usb/devices"),
                   "SKIPPED: this machine has USB, so the 'no USB' explanation cannot be checked here"))
    func withoutUSBItSaysSoAndExitsZero() throws {
        let outcome = try PinionProcess.run(["list"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("No boards found: this system has no USB host support"))
        let json = try #require(try PinionProcess.json(["list", "--json"]) as? [String: Any])
        #expect((json["devices"] as? [Any])?.isEmpty == true)
        #expect((json["note"] as? String)?.contains("no USB host support") == true)
    }

    @Test func badCatalogueDirectoryIsAOneLineError() throws {
        let outcome = try PinionProcess.run(["list", "--simulate", "--boards", "/nonexistent/boards"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("/nonexistent/boards"))
        #expect(outcome.stderr.split(separator: "\n").count <= 2)
    }
}
