import Foundation
import PinionUSB
import Synchronization

/// A vendor function that returns on its IN endpoint what was written to its OUT endpoint:
/// the standard way to exercise bulk transfers, timeouts and stalls of a link.
public final class LoopbackFunction: EmulatedUSBFunction {
    private let queue = Mutex<[UInt8]>([])
    private let condition = NSCondition()

    public init() {}

    public func bulkOut(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        condition.lock()
        queue.withLock { $0 += data }
        condition.broadcast()
        condition.unlock()
        return .accepted(data.count)
    }

    public func returnUnread(endpoint: UInt8, data: [UInt8], device: EmulatedUSBDevice) {
        condition.lock()
        queue.withLock { $0.insert(contentsOf: data, at: 0) }
        condition.broadcast()
        condition.unlock()
    }

    public func disconnected(device: EmulatedUSBDevice) {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    public func bulkIn(endpoint: UInt8, maxLength: Int, timeout: Duration, device: EmulatedUSBDevice) -> EmulatedUSBResponse {
        let deadline = Date().addingTimeInterval(timeout.inSeconds)
        condition.lock()
        defer { condition.unlock() }
        while queue.withLock({ $0.isEmpty }) {
            if !device.isConnected { return .disconnected }
            if !condition.wait(until: deadline) { return .timeout }
        }
        return .data(queue.withLock { queue in
            let chunk = Array(queue.prefix(maxLength))
            queue.removeFirst(chunk.count)
            return chunk
        })
    }
}
