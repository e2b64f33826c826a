import Foundation
import PinionUSB

/// The manufacturer, product and serial strings the kernel read when it enumerated a device,
/// from `/sys/bus/usb/devices/<path>/`: no transfer, no open, no permission needed.
///
/// Flashing several boards at once, each flasher looks for its board again after every
/// re-enumeration; opening every candidate to ask for its strings would put control transfers
/// on the other boards' buses while they download. udev and lsusb read the same files.
enum SysfsUSBStrings {
    static let root = "/sys/bus/usb/devices"

    /// The strings of the device at `info.location`, or nil when sysfs cannot vouch for them:
    /// no such directory, another device now at that port (its `devnum` differs), or a string
    /// the descriptor names that the kernel could not read.
    static func read(_ info: USBDeviceInfo, root: String = root) -> USBDeviceStrings? {
        let directory = "\(root)/\(info.location.path)"
        guard let devnum = attribute("devnum", in: directory), UInt8(devnum) == info.location.address else { return nil }
        let d = info.descriptor
        var strings = USBDeviceStrings()
        for (index, name, field) in [(d.manufacturerIndex, "manufacturer", \USBDeviceStrings.manufacturer),
                                     (d.productIndex, "product", \.product),
                                     (d.serialNumberIndex, "serial", \.serialNumber)] where index != 0 {
            guard let value = attribute(name, in: directory) else { return nil }
            strings[keyPath: field] = value
        }
        return strings
    }

    /// A sysfs attribute without the newline the kernel appends; nil when absent or unreadable.
    private static func attribute(_ name: String, in directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)"),
              var text = String(data: data, encoding: .utf8) else { return nil }
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
