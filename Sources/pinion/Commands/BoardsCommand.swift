import ArgumentParser
import PinionBoards

/// `pinion boards`: the board catalogue, and whether every file in it is valid.
struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boards",
        abstract: "List the board catalogue (boards/*.toml); exits 1 if any file is invalid.")

    @Option(name: .customLong("boards"), help: ArgumentHelp("Board catalogue directory.", valueName: "dir"))
    var boardsDirectory: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let catalogue = try BoardCatalogue.load(directories: BoardCatalogue.searchPath(explicit: boardsDirectory))
        if output.json {
            struct Report: Encodable { var directories: [String]; var boards: [BoardDescriptor]; var problems: [String] }
            try JSONOutput.print(Report(directories: catalogue.directories, boards: catalogue.boards, problems: catalogue.problems.map(\.description)))
        } else {
            var table = TextTable("BOARD", "NAME", "RUNTIME", "BOOTLOADER", "FLASH", "RUNS", "FORMATS")
            for board in catalogue.boards {
                table.add(board.id, board.name, board.runtime?.id.description ?? "-", board.bootloader?.id.description ?? "-",
                          board.flash.method.rawValue, board.execution.kind.rawValue,
                          board.capabilities.modelFormats.isEmpty ? "-" : board.capabilities.modelFormats.joined(separator: ","))
            }
            print(table.render())
            print("\n\(catalogue.boards.count) board model(s) from \(catalogue.directories.joined(separator: ", "))")
            for problem in catalogue.problems { print("error: \(problem)") }
        }
        if !catalogue.problems.isEmpty { throw ExitCode(1) }
    }
}
