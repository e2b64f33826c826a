import CLibUSB
import PinionUSB

/// The Linux host's USB devices through libusb.
///
/// Creating one fails with a `USBError` when libusb cannot start (no usbfs, no USB in the
/// kernel); `USBAvailability` explains such failures in words.
public final class LibUSBHost: USBHost, @unchecked Sendable {
    private let context: LibUSBContext
    private let taps: [any USBTap]
    private let hotplugPolicy: USBHotplugPolicy

    /// - Parameters:
    ///   - taps: see every transfer on every device this host opens.
    ///   - hotplug: native libusb hotplug, or polling (for systems without udev or netlink events).
    ///   - debug: let libusb print its own debug log to stderr.
    public init(taps: [any USBTap] = [], hotplug: USBHotplugPolicy = .automatic, debug: Bool = false) throws(USBError) {
        context = try LibUSBContext(debug: debug)
        self.taps = taps
        self.hotplugPolicy = hotplug
    }

    public func devices(readStrings: Bool) throws -> [USBDeviceInfo] {
        try withDeviceList { devices in
            devices.compactMap { device -> USBDeviceInfo? in
                guard var info = try? LibUSBDeviceReader.info(device) else { return nil }
                if readStrings { readStringsInto(&info, device: device) }
                return info
            }
        }.sorted { $0.location < $1.location }
    }

    public func open(_ location: USBDeviceLocation) throws -> USBDevice {
        try withDeviceList { devices throws(USBError) in
            guard let device = devices.first(where: { LibUSBDeviceReader.location($0) == location }) else {
                throw USBError(.noDevice, operation: "open", device: location.path)
            }
            let info = try LibUSBDeviceReader.info(device)
            let backend = try LibUSBDeviceBackend(device: device, context: context, name: "\(location.path) (\(info.id))")
            return USBDevice(info: info, backend: backend, taps: taps)
        }
    }

    public func hotplugEvents(includeExisting: Bool) throws -> AsyncStream<USBHotplugEvent> {
        let native = switch hotplugPolicy {
        case .automatic: context.hasHotplug
        case .native: true
        case .polling: false
        }
        if !native {
            return USBPollingHotplug(host: self, interval: .seconds(1)).events(includeExisting: includeExisting)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: USBHotplugEvent.self, bufferingPolicy: .unbounded)
        let box = HotplugBox(continuation: continuation)
        context.retain(box)
        try box.register(context: context.pointer, includeExisting: includeExisting)
        let pointer = SendablePointer(context.pointer)
        continuation.onTermination = { _ in box.deregister(context: pointer.raw) }
        context.startEventThread()
        return stream
    }

    private func withDeviceList<T>(_ body: ([OpaquePointer]) throws -> T) throws -> T {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try LibUSBCall.check("list devices", Int32(truncatingIfNeeded: libusb_get_device_list(context.pointer, &list)))
        defer { libusb_free_device_list(list, 1) }
        let devices = (0..<Int(count)).compactMap { list?[$0] }
        return try body(devices)
    }

    /// From sysfs where the kernel has them; otherwise the device is opened and asked.
    public func strings(of info: USBDeviceInfo) throws -> USBDeviceStrings {
        try strings(of: info) { try open(info.location) }
    }

    private func strings(of info: USBDeviceInfo, opening open: () throws -> USBDevice) throws -> USBDeviceStrings {
        if let strings = SysfsUSBStrings.read(info) { return strings }
        let device = try open()
        defer { device.close() }
        return try device.readStrings()
    }

    /// The listing's strings: opening the `libusb_device` already in hand when sysfs has none.
    private func readStringsInto(_ info: inout USBDeviceInfo, device: OpaquePointer) {
        let described = info
        do {
            info.strings = try strings(of: info) {
                USBDevice(info: described, backend: try LibUSBDeviceBackend(device: device, context: context, name: "\(described.location.path) (\(described.id))"),
                          taps: taps)
            }
        } catch {
            info.stringsProblem = (error as? USBError)?.code == .accessDenied
                ? "no permission to open \(usbfsPath(info.location)) (install udev/70-pinion.rules, join group pinion)"
                : "\(error)"
        }
    }

    private func usbfsPath(_ location: USBDeviceLocation) -> String {
        func pad(_ n: UInt8) -> String { String(repeating: "0", count: 3 - String(n).count) + String(n) }
        return "/dev/bus/usb/\(pad(location.bus))/\(pad(location.address))"
    }
}

/// How a host learns of arrivals and departures.
public enum USBHotplugPolicy: String, Sendable, CaseIterable {
    /// libusb's hotplug where it has it, polling otherwise.
    case automatic
    /// libusb's hotplug callbacks (udev or netlink events).
    case native
    /// Compare the device list once a second: works without udev, as in minimal lab guests.
    case polling
}
