import Foundation
import PinionUSB

/// A USB gadget in configfs (`/sys/kernel/config/usb_gadget/<name>`, libcomposite): device
/// descriptor fields, English strings, one configuration holding one FunctionFS function, and
/// the UDC it is bound to. Made by `create`, taken apart by `remove`.
public struct GadgetConfigFS: Sendable {
    public struct Device: Sendable, Hashable {
        public var id: USBID
        public var deviceVersion: UInt16
        public var manufacturer: String
        public var product: String
        public var serial: String
        public var configuration: String
        public var maxPowerMilliamps: Int

        public init(id: USBID, deviceVersion: UInt16, manufacturer: String, product: String, serial: String,
                    configuration: String, maxPowerMilliamps: Int = 500) {
            self.id = id
            self.deviceVersion = deviceVersion
            self.manufacturer = manufacturer
            self.product = product
            self.serial = serial
            self.configuration = configuration
            self.maxPowerMilliamps = maxPowerMilliamps
        }
    }

    public let name: String
    public let functionInstance: String
    public let configfs: String

    public init(name: String, functionInstance: String, configfs: String = "/sys/kernel/config") {
        self.name = name
        self.functionInstance = functionInstance
        self.configfs = configfs
    }

    public var root: String { "\(configfs)/usb_gadget/\(name)" }
    private var function: String { "\(root)/functions/ffs.\(functionInstance)" }
    private var configuration: String { "\(root)/configs/c.1" }

    /// Makes the gadget (a stale one of the same name is removed first).
    public func create(_ device: Device) throws(GadgetError) {
        guard FileManager.default.fileExists(atPath: "\(configfs)/usb_gadget") else {
            throw GadgetError("find", path: "\(configfs)/usb_gadget",
                              hint: "mount configfs and load libcomposite (mount -t configfs none /sys/kernel/config; modprobe libcomposite usb_f_fs)")
        }
        if FileManager.default.fileExists(atPath: root) { remove() }
        for directory in [root, "\(root)/strings/0x409", function, configuration, "\(configuration)/strings/0x409"] {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else { throw GadgetError("mkdir", path: directory, errno: errno) }
        }
        try set(device)
        try write("0x0200", to: "bcdUSB")
        try write(String(device.configuration), to: "configs/c.1/strings/0x409/configuration")
        try write(String(device.maxPowerMilliamps / 2), to: "configs/c.1/MaxPower")
        let link = "\(configuration)/ffs.\(functionInstance)"
        guard symlink(function, link) == 0 || errno == EEXIST else { throw GadgetError("link", path: link, errno: errno) }
    }

    /// Writes the device descriptor's fields and strings (while unbound).
    public func set(_ device: Device) throws(GadgetError) {
        try write(String(format: "0x%04x", device.id.vendor), to: "idVendor")
        try write(String(format: "0x%04x", device.id.product), to: "idProduct")
        try write(String(format: "0x%04x", device.deviceVersion), to: "bcdDevice")
        try write(device.manufacturer, to: "strings/0x409/manufacturer")
        try write(device.product, to: "strings/0x409/product")
        try write(device.serial, to: "strings/0x409/serialnumber")
    }

    /// Binds the gadget to `udc` (a name in /sys/class/udc): the host sees it arrive.
    public func bind(udc: String) throws(GadgetError) {
        try write(udc, to: "UDC")
    }

    /// Unbinds it: the host sees it leave. Unbinding an unbound gadget is no error.
    public func unbind() {
        let path = "\(root)/UDC"
        if let bound = try? String(contentsOfFile: path, encoding: .utf8), bound.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
        try? write("", to: "UDC")
    }

    /// Unbinds and removes every directory `create` made.
    public func remove() {
        unbind()
        _ = unlink("\(configuration)/ffs.\(functionInstance)")
        for directory in ["\(configuration)/strings/0x409", configuration, function, "\(root)/strings/0x409", root] {
            _ = rmdir(directory)
        }
    }

    /// The UDCs this kernel has (`/sys/class/udc`).
    public static func controllers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/udc")) ?? []).sorted()
    }

    private func write(_ value: String, to attribute: String) throws(GadgetError) {
        let path = "\(root)/\(attribute)"
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw GadgetError("open", path: path, errno: errno) }
        defer { close(fd) }
        let bytes = Array((value.isEmpty ? "\n" : value).utf8)
        guard bytes.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress!, $0.count) }) == bytes.count else {
            throw GadgetError("write '\(value)' to", path: path, errno: errno)
        }
    }
}
