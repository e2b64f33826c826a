import PinionUSB
import Synchronization

/// Tells, from the control requests of one imported device, when the client reset its port.
///
/// USB/IP has no reset command, and Linux's vhci-hcd keeps a port reset (`libusb_reset_device`,
/// `USBDEVFS_RESET`) to itself: no request about it reaches the server. What does reach it is the
/// kernel initialising the device again, as it does at enumeration: its first read of the device
/// descriptor asks for 64 bytes (8 in the kernel's old scheme), then 18, then SET_CONFIGURATION.
/// Programs read the 18 bytes the kernel keeps and never send such a read. So a 64- or 8-byte
/// device-descriptor read after the device was configured is a reset; the reads before the first
/// SET_CONFIGURATION (the enumeration, and its retries) are not.
final class USBIPPortResetDetector: Sendable {
    private let configured = Mutex(false)

    /// Notes `setup`; true when it starts the re-initialisation that follows a port reset.
    func sees(_ setup: USBSetupPacket) -> Bool {
        let standardToDevice = setup.kind == .standard && setup.recipient == .device
        if standardToDevice && setup.request == USBSetupPacket.StandardRequest.setConfiguration.rawValue && setup.value != 0 {
            configured.withLock { $0 = true }
            return false
        }
        let enumerationRead = standardToDevice && setup.request == USBSetupPacket.StandardRequest.getDescriptor.rawValue
            && setup.value >> 8 == 1 && (setup.length == 64 || setup.length == 8)
        guard enumerationRead else { return false }
        return configured.withLock { configured in
            defer { configured = false }
            return configured
        }
    }
}
