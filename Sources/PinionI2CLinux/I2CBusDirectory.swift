import Foundation
import PinionI2C

/// Finds the machine's I2C buses in sysfs and opens them.
///
/// Reads `<sysfsRoot>/class/i2c-dev/i2c-N/name` (falling back to `…/device/name`, as i2c-tools
/// does); the roots are parameters so tests can point them at a fake tree.
public struct I2CBusDirectory: Sendable {
    /// Usually `/sys`.
    public var sysfsRoot: String
    /// Usually `/dev`.
    public var deviceRoot: String

    public init(sysfsRoot: String = "/sys", deviceRoot: String = "/dev") {
        self.sysfsRoot = sysfsRoot
        self.deviceRoot = deviceRoot
    }

    /// `<sysfsRoot>/class/i2c-dev`.
    public var classPath: String { sysfsRoot + "/class/i2c-dev" }

    /// The buses, sorted by number, or `.i2cDevNotLoaded` when the sysfs class is missing.
    public func list() -> I2CBusListing {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: classPath, isDirectory: &isDirectory), isDirectory.boolValue,
              let entries = try? files.contentsOfDirectory(atPath: classPath) else {
            return .i2cDevNotLoaded(sysfsPath: classPath)
        }
        let buses = entries.compactMap { entry -> I2CBusInfo? in
            guard entry.hasPrefix("i2c-"), let number = Int(entry.dropFirst(4)), number >= 0 else { return nil }
            return I2CBusInfo(number: number, name: adapterName(entry), devicePath: "\(deviceRoot)/\(entry)")
        }
        return .buses(buses.sorted { $0.number < $1.number })
    }

    /// Opens bus `number`'s device node.
    public func open(_ number: Int, taps: [any I2CTap] = []) throws(I2CError) -> LinuxI2CBus {
        try LinuxI2CBus(number: number, deviceDirectory: deviceRoot, taps: taps)
    }

    private func adapterName(_ entry: String) -> String {
        for path in ["\(classPath)/\(entry)/name", "\(classPath)/\(entry)/device/name"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return ""
    }
}
