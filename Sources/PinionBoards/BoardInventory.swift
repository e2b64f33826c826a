import PinionUSB

/// One attached USB device as `pinion list` shows it: where it is, what it is, and the board
/// model and mode the catalogue recognises it as (nil for unknown devices).
public struct AttachedDevice: Sendable, Hashable, Codable {
    /// sysfs-style path, e.g. `1-1.2`.
    public var path: String
    public var bus: UInt8
    public var address: UInt8
    public var id: USBID
    public var speed: USBSpeed
    /// Catalogue id of the board model, e.g. `coral-usb-accelerator`.
    public var board: String?
    /// Human name of the board model.
    public var boardName: String?
    public var mode: BoardMode?
    public var manufacturer: String?
    public var product: String?
    public var serial: String?
    /// bcdDevice as `major.minor` (often the firmware version).
    public var deviceVersion: String
    /// What could not be read about the device, if anything (permission, malformed descriptors).
    public var problem: String?

    public var isKnown: Bool { board != nil }
}

/// Matches what a `USBHost` has attached against the board catalogue. `pinion list`, the
/// hotplug monitor and `--simulate` all go through here, whatever the host.
public struct BoardInventory: Sendable {
    public let catalogue: BoardCatalogue

    public init(catalogue: BoardCatalogue) {
        self.catalogue = catalogue
    }

    /// Every attached device, known boards first by path; unknown ones only with `includeUnknown`.
    public func scan(_ host: any USBHost, includeUnknown: Bool) throws -> [AttachedDevice] {
        try host.devices(readStrings: true)
            .map(identify)
            .filter { includeUnknown || $0.isKnown }
            .sorted { ($0.isKnown ? 0 : 1, $0.bus, $0.path) < ($1.isKnown ? 0 : 1, $1.bus, $1.path) }
    }

    /// What the catalogue says this device is.
    public func identify(_ info: USBDeviceInfo) -> AttachedDevice {
        let match = catalogue.match(info.id, product: info.strings?.product)
        let version = info.descriptor.deviceVersion
        return AttachedDevice(
            path: info.location.path, bus: info.location.bus, address: info.location.address, id: info.id,
            speed: info.speed, board: match?.board.id, boardName: match?.board.name, mode: match?.mode,
            manufacturer: info.strings?.manufacturer, product: info.strings?.product, serial: info.strings?.serialNumber,
            deviceVersion: "\(version >> 8).\(String(format2: version & 0xFF))",
            problem: [info.descriptorProblem, info.stringsProblem].compactMap { $0 }.first)
    }
}

extension String {
    /// Two hex digits, as bcd minor versions are printed (`1.02`).
    init(format2 value: UInt16) {
        let digits = String(value, radix: 16)
        self = digits.count < 2 ? "0" + digits : digits
    }
}
