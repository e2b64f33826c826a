import ArgumentParser
import PinionBoards

/// `pinion udev-rules`: udev rules giving group `pinion` access to every catalogued board and the I2C buses.
struct UdevRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev-rules",
        abstract: "Print udev rules for the board catalogue (install as /etc/udev/rules.d/70-pinion.rules).")

    @Option(name: .customLong("boards"), help: ArgumentHelp("Board catalogue directory.", valueName: "dir"))
    var boardsDirectory: String?

    func run() throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: boardsDirectory))
        if !catalogue.problems.isEmpty {
            throw CommandError("the board catalogue has invalid files, fix them first:\n" + catalogue.problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        print(UdevRulesGenerator.rules(for: catalogue), terminator: "")
    }
}
