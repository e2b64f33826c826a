/// Where a device sits on the bus: the same `BUS-PORT.PORT` name Linux uses in sysfs
/// (/sys/bus/usb/devices/1-1.2), stable across re-enumeration on the same port, plus the
/// address the host assigned this time.
public struct USBDeviceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var bus: UInt8
    /// Port numbers from the root hub down; empty for a root hub itself.
    public var ports: [UInt8]
    /// Device address on the bus (changes at every enumeration).
    public var address: UInt8

    public init(bus: UInt8, ports: [UInt8], address: UInt8) {
        self.bus = bus
        self.ports = ports
        self.address = address
    }

    /// `1-1.2`, or `usb1` for a root hub, as sysfs names them.
    public var path: String {
        ports.isEmpty ? "usb\(bus)" : "\(bus)-" + ports.map(String.init).joined(separator: ".")
    }

    /// The port, without the address: what stays the same when a board re-enumerates.
    public var port: USBPortPath { USBPortPath(bus: bus, ports: ports) }

    public var description: String { path }

    public static func < (lhs: USBDeviceLocation, rhs: USBDeviceLocation) -> Bool {
        (lhs.bus, lhs.ports.lexicographicallyPrecedes(rhs.ports) ? 0 : 1, lhs.address)
            < (rhs.bus, rhs.ports.lexicographicallyPrecedes(lhs.ports) ? 0 : 1, rhs.address)
    }
}

/// A physical port (bus plus hub port chain), independent of the address assigned.
public struct USBPortPath: Hashable, Sendable, Codable, CustomStringConvertible {
    public var bus: UInt8
    public var ports: [UInt8]

    public init(bus: UInt8, ports: [UInt8]) {
        self.bus = bus
        self.ports = ports
    }

    public var description: String {
        ports.isEmpty ? "usb\(bus)" : "\(bus)-" + ports.map(String.init).joined(separator: ".")
    }
}

/// Negotiated link speed.
public enum USBSpeed: String, Sendable, Codable, CaseIterable {
    case unknown, low, full, high, superSpeed = "super", superSpeedPlus = "super+"

    /// Signalling rate in Mbit/s as `lsusb -t` prints it.
    public var megabitsPerSecond: Double? {
        switch self {
        case .unknown: nil
        case .low: 1.5
        case .full: 12
        case .high: 480
        case .superSpeed: 5000
        case .superSpeedPlus: 10000
        }
    }
}

/// The manufacturer, product and serial strings, read with a control transfer once the device is opened.
public struct USBDeviceStrings: Hashable, Sendable, Codable {
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?

    public init(manufacturer: String? = nil, product: String? = nil, serialNumber: String? = nil) {
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
    }
}

/// Everything known about one attached device without claiming it.
public struct USBDeviceInfo: Hashable, Sendable, Codable {
    public var location: USBDeviceLocation
    public var speed: USBSpeed
    public var descriptor: USBDeviceDescriptor
    /// Parsed configurations; empty when `descriptorProblem` is set.
    public var configurations: [USBConfiguration]
    /// Why the configuration descriptors could not be used, if they could not.
    public var descriptorProblem: String?
    /// Strings, if they were read.
    public var strings: USBDeviceStrings?
    /// Why the strings could not be read (typically no permission to open the device).
    public var stringsProblem: String?

    public init(location: USBDeviceLocation, speed: USBSpeed, descriptor: USBDeviceDescriptor,
                configurations: [USBConfiguration], descriptorProblem: String? = nil,
                strings: USBDeviceStrings? = nil, stringsProblem: String? = nil) {
        self.location = location
        self.speed = speed
        self.descriptor = descriptor
        self.configurations = configurations
        self.descriptorProblem = descriptorProblem
        self.strings = strings
        self.stringsProblem = stringsProblem
    }

    public var id: USBID { descriptor.id }

    /// All interface settings of all configurations, in descriptor order.
    public var interfaceSettings: [USBInterfaceSetting] {
        configurations.flatMap { $0.interfaces.flatMap(\.settings) }
    }

    /// The DFU interface (run-time or DFU mode), if the device has one.
    public var dfuInterface: USBInterfaceSetting? { interfaceSettings.first(where: \.isDFU) }
}
