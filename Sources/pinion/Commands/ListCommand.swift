import ArgumentParser
import PinionBoards
import PinionUSB
import PinionUSBLinux

/// `pinion list`: attached boards, matched against the catalogue.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List attached boards (USB path, ids, board model, mode, serial, speed).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Also list USB devices that are not in the board catalogue.")
    var all = false

    struct Report: Encodable {
        var devices: [AttachedDevice]
        /// Why nothing could be listed, when Pinion can tell.
        var note: String?
    }

    func run() throws {
        let hardware = try Hardware(global)
        var report = Report(devices: [], note: nil)
        switch hardware.usb {
        case .success(let host):
            report.devices = try BoardInventory(catalogue: hardware.catalogue).scan(host, includeUnknown: all)
            if report.devices.isEmpty {
                report.note = USBAvailability.probe().explanation
                    ?? (all ? "no USB devices are attached" : "no attached USB device matches the board catalogue (try --all)")
            }
        case .failure(let error):
            report.note = USBAvailability.probe().explanation ?? "libusb could not start: \(error)"
        }
        if output.json {
            try JSONOutput.print(report)
            return
        }
        if report.devices.isEmpty {
            print("No boards found: \(report.note ?? "nothing attached").")
            return
        }
        var table = TextTable("PATH", "ID", "BOARD", "MODE", "SERIAL", "SPEED", "VERSION")
        for device in report.devices {
            table.add(device.path, device.id.description, device.board ?? "(unknown: \(device.product ?? "?"))",
                      device.mode?.rawValue ?? "-", device.serial ?? "-", device.speed.rawValue, device.deviceVersion)
        }
        print(table.render())
        for device in report.devices {
            if let problem = device.problem { print("note: \(device.path): \(problem)") }
        }
    }
}
