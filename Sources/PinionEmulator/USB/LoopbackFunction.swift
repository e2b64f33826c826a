import Foundation
import PinionUSB

/// A vendor function that returns on its IN endpoint what was written to its OUT endpoint:
/// the standard way to exercise bulk transfers, timeouts and stalls of a link.
public final class LoopbackFunction: EmulatedUSBFunction {
    private let queue = EmulatedByteQueue()

    public init() {}

    public func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        queue.append(data)
        return .accepted(data.count)
    }

    public func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) {
        queue.prepend(data)
    }

    public func disconnected(device: EmulatedUSBDevice) {
        queue.wake()
    }

    public func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        if let data = queue.take(maxLength: maxLength, timeout: timeout, keepWaiting: { device.isConnected }) { return .data(data) }
        return device.isConnected ? .timeout : .disconnected
    }
}
