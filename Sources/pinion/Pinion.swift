import ArgumentParser

/// The `pinion` command: one entry point for integrators (run, config, udev rules) and field
/// technicians (list, flash, diagnose). Commands are thin: they parse, call a library, print.
@main
struct Pinion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinion",
        abstract: "Edge node controller for USB AI accelerator boards and I2C sensors.",
        version: PinionVersion.string,
        subcommands: [
            RunCommand.self, DemoCommand.self, SubmitCommand.self, ConfigCommand.self, IdentityCommand.self, LedgerCommand.self, TasksCommand.self, StatusCommand.self, ListCommand.self, FlashCommand.self, DiagCommand.self, FirmwareCommand.self, SensorsCommand.self, SimCommand.self, BoardsCommand.self, I2CCommand.self, UdevRulesCommand.self, VersionCommand.self,
        ])
}
