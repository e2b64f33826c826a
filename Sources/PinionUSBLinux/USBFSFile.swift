import CLibUSB
import Glibc
import PinionUSB

/// A device's usbfs node (`/dev/bus/usb/BBB/DDD`), opened by Pinion and handed to libusb with
/// `libusb_wrap_sys_device`, so that control transfers can also go to the kernel directly.
///
/// A synchronous libusb control transfer costs submit, poll and two reaps plus libusb's locking
/// and timer bookkeeping; `USBDEVFS_CONTROL` is one system call in which the kernel waits for the
/// completion. DFU moves a whole image as control transfers, two per block, so that difference is
/// what decides flash speed once the bus itself is fast. Everything else (claiming, alternate
/// settings, bulk and interrupt transfers, reset, hotplug) stays with libusb on the same file.
struct USBFSFile: Sendable {
    /// The file descriptor; closed by `close()` after libusb has let go of it.
    let descriptor: Int32

    /// The kernel refuses (EINVAL) control transfers with more data than a page; longer ones go
    /// through libusb, which splits nothing either but submits them as URBs.
    static let largestControlTransfer = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Opens the node of the device at `bus`/`address` for reading and writing, or returns nil
    /// (no usbfs in /dev, or no permission: libusb's own open then reports what is wrong).
    static func open(bus: UInt8, address: UInt8) -> USBFSFile? {
        let path = "/dev/bus/usb/" + threeDigits(bus) + "/" + threeDigits(address)
        let descriptor = Glibc.open(path, O_RDWR | O_CLOEXEC)
        return descriptor >= 0 ? USBFSFile(descriptor: descriptor) : nil
    }

    /// One control transfer of `length` bytes at `data` (read into for IN, sent for OUT); returns
    /// the byte count the device moved.
    func control(_ setup: USBSetupPacket, data: UnsafeMutableRawPointer?, length: Int, timeoutMilliseconds: UInt32,
                 operation: @autoclosure () -> String, device: String) throws(USBError) -> Int {
        let result = pinion_usbfs_control(descriptor, setup.requestType, setup.request, setup.value, setup.index,
                                          data, UInt16(length), timeoutMilliseconds)
        guard result < 0 else { return Int(result) }
        let code = Self.code(errno: -result)
        throw USBError(code, operation: operation(), device: device,
                       detail: code == .timeout ? "after \(timeoutMilliseconds) ms" : code == .io ? String(cString: strerror(-result)) : nil)
    }

    func close() {
        _ = Glibc.close(descriptor)
    }

    /// The libusb code libusb's Linux backend gives the same kernel answer.
    static func code(errno: Int32) -> USBError.Code {
        switch errno {
        case EPIPE: .stall
        case ETIMEDOUT: .timeout
        case ENODEV, ESHUTDOWN: .noDevice
        case EOVERFLOW: .overflow
        case EACCES, EPERM: .accessDenied
        case EBUSY: .busy
        case EINTR: .interrupted
        case ENOMEM: .noMemory
        case EINVAL: .invalidParameter
        default: .io
        }
    }

    private static func threeDigits(_ number: UInt8) -> String {
        let digits = String(number)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }
}
