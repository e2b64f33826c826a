/// Something that has USB devices: the Linux host through libusb, or the emulator.
///
/// Everything above this layer (catalogue matching, flashing, the board protocol) talks to
/// this protocol and to `USBDevice`, never to libusb, so the same code runs on emulated boards.
public protocol USBHost: Sendable {
    /// Every device attached now, with descriptors; strings too when `readStrings` and the device can be opened.
    func devices(readStrings: Bool) throws -> [USBDeviceInfo]

    /// Opens a device for transfers. Throws `.noDevice` when it is no longer there.
    func open(_ location: USBDeviceLocation) throws -> USBDevice

    /// The device's manufacturer, product and serial strings, as cheaply as the host can get them
    /// (Linux: from sysfs, without a transfer; otherwise by opening the device and asking it).
    func strings(of info: USBDeviceInfo) throws -> USBDeviceStrings

    /// Arrivals and departures from now on; with `includeExisting`, an `.arrived` for each device present first.
    /// The stream ends when the consumer stops iterating or the host shuts down.
    func hotplugEvents(includeExisting: Bool) throws -> AsyncStream<USBHotplugEvent>
}

extension USBHost {
    /// Opens the device and reads its strings with control transfers.
    public func strings(of info: USBDeviceInfo) throws -> USBDeviceStrings {
        let device = try open(info.location)
        defer { device.close() }
        return try device.readStrings()
    }
}

/// A device arriving on or leaving the bus.
public enum USBHotplugEvent: Sendable, Hashable {
    case arrived(USBDeviceInfo)
    case left(USBDeviceLocation, USBID)

    public var location: USBDeviceLocation {
        switch self {
        case .arrived(let info): info.location
        case .left(let location, _): location
        }
    }
}

/// The backend side of an open device: what libusb or the emulator implements.
///
/// Callers use `USBDevice`, which routes every transfer through one chokepoint.
/// Implementations must be safe to call from any thread.
public protocol USBDeviceBackend: AnyObject, Sendable {
    func claimInterface(_ number: UInt8) throws
    func releaseInterface(_ number: UInt8) throws
    func setAlternateSetting(interface: UInt8, alternate: UInt8) throws
    func setConfiguration(_ value: UInt8) throws
    func clearHalt(endpoint: UInt8) throws
    /// Port reset; the device may re-enumerate with other descriptors (DFU detach).
    func reset() throws
    /// Performs one transfer synchronously, honouring its timeout.
    func perform(_ transfer: USBTransfer) throws -> USBTransferResult
    /// Releases the device. Further calls throw.
    func close()
}
