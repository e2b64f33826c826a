/// One I2C adapter as sysfs describes it: `/sys/class/i2c-dev/i2c-1/name` → `i2c-1  "SMBus I801 adapter"`.
public struct I2CBusInfo: Hashable, Sendable, Codable, CustomStringConvertible {
    /// N in `/dev/i2c-N`.
    public var number: Int
    /// The adapter's name from sysfs (`SMBus stub driver`, `Synopsys DesignWare I2C adapter`).
    public var name: String
    /// The device node, `/dev/i2c-N`.
    public var devicePath: String

    public init(number: Int, name: String, devicePath: String) {
        self.number = number
        self.name = name
        self.devicePath = devicePath
    }

    /// `i2c-N`, as errors and traces name the bus.
    public var busName: String { "i2c-\(number)" }

    public var description: String { "\(busName)\t\(name)" }
}

/// The buses on this machine, or why there are none to list.
public enum I2CBusListing: Hashable, Sendable, CustomStringConvertible {
    /// i2c-dev is loaded; these buses exist (possibly none), sorted by number.
    case buses([I2CBusInfo])
    /// `/sys/class/i2c-dev` is missing: the kernel has no I2C, or the i2c-dev module is not loaded.
    case i2cDevNotLoaded(sysfsPath: String)

    /// The buses; empty when i2c-dev is not loaded.
    public var buses: [I2CBusInfo] {
        if case .buses(let buses) = self { return buses }
        return []
    }

    /// What to do when there is nothing to use.
    public var advice: String? {
        switch self {
        case .buses(let buses) where buses.isEmpty:
            "i2c-dev is loaded but no I2C adapter is registered; check the board's device tree / ACPI (or, in the lab: modprobe i2c-stub chip_addr=...)"
        case .buses: nil
        case .i2cDevNotLoaded(let path): "i2c-dev not loaded (\(path) is missing): modprobe i2c-dev"
        }
    }

    public var description: String {
        switch self {
        case .buses(let buses) where !buses.isEmpty: buses.map(\.description).joined(separator: "\n")
        default: advice ?? ""
        }
    }
}
