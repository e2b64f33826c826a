import CLibUSB
import PinionUSB

extension LibUSBHost {
    /// The libusb library in use, e.g. `1.0.26.11724`.
    public static var libraryVersion: String {
        guard let version = libusb_get_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.micro).\(version.nano)"
    }
}
