import PinionUSB

/// What an emulated device does with one transaction, independent of how the host reached it
/// (in-process backend or USB/IP).
public enum EmulatedUSBResponse: Sendable, Equatable {
    /// IN data for the host.
    case data([UInt8])
    /// OUT data taken: this many bytes.
    case accepted(Int)
    /// The endpoint or request stalls (STALL handshake).
    case stall
    /// The device NAKs until the host gives up.
    case timeout
    /// The device is gone from the bus.
    case disconnected

    /// The libusb-style error code a host sees for a failing response; nil for success.
    public var errorCode: USBError.Code? {
        switch self {
        case .data, .accepted: nil
        case .stall: .stall
        case .timeout: .timeout
        case .disconnected: .noDevice
        }
    }
}

/// The part of an emulated device beyond standard requests: class and vendor control
/// requests and the data endpoints. `EmulatedUSBDevice` handles chapter 9 itself.
///
/// Called from whichever thread performs the transfer; implementations must be thread-safe.
public protocol EmulatedUSBFunction: AnyObject, Sendable {
    /// A class or vendor control request; return nil to stall it.
    func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse?
    /// Data the host sends to OUT endpoint `endpoint` (bit 7 clear).
    func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse
    /// The host asks for up to `maxLength` bytes from IN endpoint `endpoint` (bit 7 set); may wait up to `timeout`.
    func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse
    /// The device was unplugged: wake anything waiting so it can answer `.disconnected`.
    func disconnected(device: EmulatedUSBDevice)
    /// The host reset the port (libusb_reset_device): a bootloader may boot its new firmware.
    func busReset(device: EmulatedUSBDevice)
    /// Bytes a bulk IN returned for a transfer the host had already cancelled (USB/IP unlink):
    /// on a real bus they would still be in the device's FIFO, so they go first in the next IN.
    func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice)
}

extension EmulatedUSBFunction {
    public func control(_ setup: USBSetupPacket, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse? { nil }
    public func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse { .stall }
    public func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse { .stall }
    public func disconnected(device: EmulatedUSBDevice) {}
    public func busReset(device: EmulatedUSBDevice) {}
    public func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) {}
}
