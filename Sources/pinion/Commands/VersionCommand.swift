import ArgumentParser
import PinionUSBLinux

/// `pinion version`: Pinion's version and the libraries it runs on.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Pinion's version and its libraries' versions.")

    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        var pinion: String
        var libusb: String
    }

    func run() throws {
        let report = Report(pinion: PinionVersion.string, libusb: LibUSBHost.libraryVersion)
        if output.json {
            try JSONOutput.print(report)
        } else {
            print("pinion \(report.pinion)")
            print("libusb \(report.libusb)")
        }
    }
}
