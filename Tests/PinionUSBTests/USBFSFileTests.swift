import Glibc
import PinionUSB
@testable import PinionUSBLinux
import Testing

@Suite("usbfs control transfers")
struct USBFSFileTests {
    /// usbfs answers with errno where libusb answers with its codes: a stall, an unplug or a
    /// timeout must read the same whichever path the transfer took.
    @Test func kernelErrorsMapToLibusbsCodes() {
        let expected: [(Int32, USBError.Code)] = [
            (EPIPE, .stall), (ETIMEDOUT, .timeout), (ENODEV, .noDevice), (ESHUTDOWN, .noDevice),
            (EOVERFLOW, .overflow), (EACCES, .accessDenied), (EPERM, .accessDenied), (EBUSY, .busy),
            (EINVAL, .invalidParameter), (EPROTO, .io), (EILSEQ, .io),
        ]
        for (errno, code) in expected {
            #expect(USBFSFile.code(errno: errno) == code, "errno \(errno)")
        }
    }

    @Test func aMissingNodeIsNoFileSoLibusbOpensAndReportsIt() {
        // Bus 255 address 255 exists nowhere; libusb's open then gives the error the user sees.
        #expect(USBFSFile.open(bus: 255, address: 255) == nil)
    }
}
