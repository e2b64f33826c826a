import CLibUSB
import PinionUSB
import Synchronization

/// Bridges one libusb hotplug callback registration to an `AsyncStream` continuation.
///
/// libusb calls `hotplugCallback` on its event thread with this box as user data. The box is
/// kept alive by the context until `libusb_exit`, because libusb may still be inside a callback
/// while a consumer cancels; a finished continuation simply drops late events.
final class HotplugBox: Sendable {
    let continuation: AsyncStream<USBHotplugEvent>.Continuation
    private let handle = Mutex<libusb_hotplug_callback_handle?>(nil)

    init(continuation: AsyncStream<USBHotplugEvent>.Continuation) {
        self.continuation = continuation
    }

    func register(context: OpaquePointer, includeExisting: Bool) throws(USBError) {
        var callbackHandle: libusb_hotplug_callback_handle = 0
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        let flags = includeExisting ? Int32(LIBUSB_HOTPLUG_ENUMERATE.rawValue) : 0
        let userData = Unmanaged.passUnretained(self).toOpaque()
        try LibUSBCall.check("register hotplug callback", libusb_hotplug_register_callback(
            context, events, flags, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
            hotplugCallback, userData, &callbackHandle))
        handle.withLock { $0 = callbackHandle }
    }

    func deregister(context: OpaquePointer) {
        guard let registered = handle.withLock({ handle in defer { handle = nil }; return handle }) else { return }
        libusb_hotplug_deregister_callback(context, registered)
        continuation.finish()
    }

    func deliver(_ device: OpaquePointer, arrived: Bool) {
        if arrived {
            guard let info = try? LibUSBDeviceReader.info(device) else { return }
            continuation.yield(.arrived(info))
        } else {
            var descriptor = libusb_device_descriptor()
            _ = libusb_get_device_descriptor(device, &descriptor)
            continuation.yield(.left(LibUSBDeviceReader.location(device),
                                     USBID(vendor: descriptor.idVendor, product: descriptor.idProduct)))
        }
    }
}

/// The C callback libusb calls; returns 0 to stay registered.
private func hotplugCallback(_ context: OpaquePointer?, _ device: OpaquePointer?, _ event: libusb_hotplug_event,
                             _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let device, let userData else { return 0 }
    let box = Unmanaged<HotplugBox>.fromOpaque(userData).takeUnretainedValue()
    box.deliver(device, arrived: event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
    return 0
}
