import ArgumentParser
import PinionI2C

/// `pinion i2c`: the gateway's I2C buses.
struct I2CCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "i2c",
        abstract: "List I2C buses and probe them for chips.",
        subcommands: [I2CBusesCommand.self, I2CScanCommand.self])
}

/// `pinion i2c buses`: adapters from sysfs, like `i2cdetect -l`.
struct I2CBusesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "buses", abstract: "List I2C buses (like i2cdetect -l).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let listing = try Hardware(global, needsUSB: false).i2c.list()
        if output.json {
            struct Report: Encodable { var buses: [I2CBusInfo]; var note: String? }
            try JSONOutput.print(Report(buses: listing.buses, note: listing.advice))
            return
        }
        if let advice = listing.advice {
            print("No I2C buses: \(advice).")
            return
        }
        var table = TextTable("BUS", "ADAPTER", "NODE")
        for bus in listing.buses { table.add(bus.busName, bus.name, bus.devicePath) }
        print(table.render())
    }
}

/// `pinion i2c scan [BUS]`: i2cdetect's default probe, same grid.
struct I2CScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Probe I2C addresses 0x08-0x77 the way 'i2cdetect -y' does and print the same grid.",
        discussion: """
            Addresses 0x30-0x37 and 0x50-0x5f are probed with an SMBus receive byte, the others with a \
            quick write (i2cdetect's default). UU marks an address claimed by a kernel driver. Quick writes \
            can upset some chips (write-protect bits of some EEPROMs): use --mode read for those buses.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "Bus number (N in /dev/i2c-N); every bus when omitted.")
    var bus: Int?

    @Option(help: "Probe with: auto (i2cdetect's default), quick (-q), read (-r).")
    var mode: ScanMode = .auto

    enum ScanMode: String, ExpressibleByArgument, CaseIterable {
        case auto, quick, read

        var scannerMode: I2CScanner.Mode {
            switch self {
            case .auto: .auto
            case .quick: .quickWrite
            case .read: .receiveByte
            }
        }
    }

    func validate() throws {
        if let bus, bus < 0 { throw ValidationError("bus number must be 0 or more, got \(bus)") }
    }

    func run() throws {
        let provider = try Hardware(global, needsUSB: false).i2c
        let listing = provider.list()
        let numbers = bus.map { [$0] } ?? listing.buses.map(\.number)
        if numbers.isEmpty {
            if output.json { try JSONOutput.print([I2CScanResult]()) } else { print("No I2C buses: \(listing.advice ?? "none found").") }
            return
        }
        var results: [I2CScanResult] = []
        for number in numbers {
            do {
                let opened = try provider.openBus(number, taps: [])
                results.append(try I2CScanner(mode: mode.scannerMode).scan(opened))
            } catch {
                throw CommandError("i2c-\(number): \(error)")
            }
        }
        if output.json {
            try JSONOutput.print(results)
            return
        }
        for (index, result) in results.enumerated() {
            if numbers.count > 1 {
                let name = listing.buses.first { $0.number == numbers[index] }?.name ?? ""
                print("\(index > 0 ? "\n" : "")\(result.bus)\(name.isEmpty ? "" : " (\(name))"):")
            }
            for warning in result.warnings { print("warning: \(warning)") }
            print(result.renderGrid(), terminator: "")
            for failure in result.failures { print("note: \(failure.address): \(failure.error ?? "probe failed")") }
        }
    }
}
