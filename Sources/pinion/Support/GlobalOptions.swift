import ArgumentParser

/// Options every hardware-facing command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(help: "Use Pinion's emulated boards and sensors instead of the hardware.")
    var simulate = false

    @Option(name: .customLong("boards"), help: ArgumentHelp("Board catalogue directory (default: search $PINION_BOARDS, /etc/pinion/boards, /usr/share/pinion/boards, the checkout).", valueName: "dir"))
    var boardsDirectory: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Gateway configuration file (default: $PINION_CONFIG, else /etc/pinion/pinion.toml if it exists).", valueName: "file"))
    var configPath: String?

    @Flag(name: .shortAndLong, help: "Log every USB and I2C transfer (trace level) to stderr.")
    var verbose = false
}

/// `--json` for commands that print data.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON instead of a table.")
    var json = false
}
