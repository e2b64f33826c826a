import CLibUSB
import PinionUSB

/// The one place every libusb return code is checked and turned into a `USBError`.
enum LibUSBCall {
    /// Runs a libusb call that returns 0 or a count on success and a negative `libusb_error` on failure.
    @discardableResult
    static func check(_ operation: @autoclosure () -> String, device: String? = nil, _ code: Int32) throws(USBError) -> Int32 {
        guard code < 0 else { return code }
        throw USBError(libusbCode: code, operation: operation(), device: device)
    }

    static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return UInt32(clamping: max(ms, 1))
    }

    static func speed(_ raw: Int32) -> USBSpeed {
        switch raw {
        case Int32(LIBUSB_SPEED_LOW.rawValue): .low
        case Int32(LIBUSB_SPEED_FULL.rawValue): .full
        case Int32(LIBUSB_SPEED_HIGH.rawValue): .high
        case Int32(LIBUSB_SPEED_SUPER.rawValue): .superSpeed
        case Int32(LIBUSB_SPEED_SUPER_PLUS.rawValue): .superSpeedPlus
        default: .unknown
        }
    }
}
