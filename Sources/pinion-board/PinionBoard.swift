import ArgumentParser

/// `pinion-board`: Pinion's reference board firmware for accelerator boards that run Linux on a
/// USB device controller. See docs/board-firmware.md.
@main
struct PinionBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinion-board",
        abstract: "Pinion's reference board firmware: the board protocol and DFU on the Linux USB gadget stack.",
        discussion: """
            Runs on the board, not on the gateway. It makes a USB gadget through configfs and \
            FunctionFS with the ids of a board descriptor, answers Pinion's board protocol on its \
            bulk endpoints, runs models with Pinion's int8 interpreter or a vendor runtime, and takes \
            firmware images over DFU. See docs/board-firmware.md.
            """,
        subcommands: [RunCommand.self, WorkerCommand.self],
        defaultSubcommand: RunCommand.self)
}
