import Foundation
import PinionUSB

/// Why a Linux machine shows no USB devices, in words: no USB in the kernel, usbfs not
/// mounted, or device nodes the user may not open. Paths are injectable for tests.
public struct USBAvailability: Sendable, Equatable {
    /// What was found.
    public enum Verdict: Sendable, Equatable {
        /// USB is there and the user can open its device nodes.
        case available
        /// The kernel has no USB host support (no /sys/bus/usb).
        case noUSBInKernel
        /// sysfs shows USB but /dev/bus/usb is missing (usbfs nodes not created).
        case noDeviceNodes
        /// Device nodes exist but this user may open none of them.
        case noPermission(nodes: Int)
    }

    public var verdict: Verdict

    /// Looks at sysfs and /dev as this process sees them.
    public static func probe(sysfs: String = "/sys/bus/usb/devices", devfs: String = "/dev/bus/usb") -> USBAvailability {
        let files = FileManager.default
        guard files.fileExists(atPath: sysfs) else { return USBAvailability(verdict: .noUSBInKernel) }
        guard files.fileExists(atPath: devfs) else { return USBAvailability(verdict: .noDeviceNodes) }
        let nodes = (files.enumerator(atPath: devfs)?.allObjects as? [String] ?? [])
            .map { "\(devfs)/\($0)" }
            .filter { var isDirectory: ObjCBool = false; return files.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue }
        if !nodes.isEmpty && !nodes.contains(where: { access($0, R_OK | W_OK) == 0 }) {
            return USBAvailability(verdict: .noPermission(nodes: nodes.count))
        }
        return USBAvailability(verdict: .available)
    }

    /// One line for a technician, or nil when USB is available.
    public var explanation: String? {
        switch verdict {
        case .available: nil
        case .noUSBInKernel: "this system has no USB host support (no /sys/bus/usb): the kernel lacks USB or this is a container/VM without USB passthrough"
        case .noDeviceNodes: "USB exists but /dev/bus/usb is missing: usbfs device nodes are not created (is udev or devtmpfs running?)"
        case .noPermission(let nodes): "none of the \(nodes) USB device nodes under /dev/bus/usb can be opened by this user: install udev/70-pinion.rules and join group 'pinion', or run as root"
        }
    }
}
