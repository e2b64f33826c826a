import Foundation
import PinionBoards
import Testing

@Suite("udev rules")
struct UdevRulesTests {
    @Test func committedRulesEqualTheGeneratorsOutput() throws {
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards])
        let committed = try String(contentsOfFile: Repository.root.appendingPathComponent("udev/70-pinion.rules").path, encoding: .utf8)
        #expect(committed == UdevRulesGenerator.rules(for: catalogue),
                "udev/70-pinion.rules is stale: run 'swift run pinion udev-rules > udev/70-pinion.rules'")
    }

    @Test func everyIDInEveryModeHasAGroupRuleAndNoWorldAccess() throws {
        let catalogue = try BoardCatalogue.load(directories: [Repository.boards])
        let rules = UdevRulesGenerator.rules(for: catalogue)
        let lines = rules.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        for board in catalogue.boards {
            for (mode, identity) in board.identities {
                let vendor = "ATTR{idVendor}==\"\(String(format: "%04x", identity.id.vendor))\""
                let product = "ATTR{idProduct}==\"\(String(format: "%04x", identity.id.product))\""
                #expect(lines.contains { $0.contains(vendor) && $0.contains(product) && $0.contains("ENV{PINION_MODE}=\"\(mode.rawValue)\"") },
                        "\(board.id) \(mode)")
            }
        }
        #expect(lines.contains { $0.contains("SUBSYSTEM==\"i2c-dev\"") })
        for line in lines {
            #expect(line.contains("GROUP=\"pinion\"") && line.contains("MODE=\"0660\""), "\(line)")
            #expect(!line.contains("uaccess"))
        }
    }
}
