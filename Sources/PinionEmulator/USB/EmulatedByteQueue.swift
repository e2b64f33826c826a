import Foundation
import PinionSystem
import Synchronization

/// The bytes a device holds for the host's next bulk IN transfers, as its endpoint FIFO does:
/// taken in order, waited for up to a transfer's timeout, and put back first when the host
/// cancelled the transfer that took them (`prepend`).
public final class EmulatedByteQueue: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let condition = NSCondition()

    public init() {}

    public func append(_ data: [UInt8]) { change(adding: data, first: false) }

    public func prepend(_ data: [UInt8]) { change(adding: data, first: true) }

    /// Wakes waiting takers so they look at `keepWaiting` again (unplug, power-off).
    public func wake() { change(adding: [], first: false) }

    /// Up to `maxLength` bytes, waiting for some until `timeout` passes or `keepWaiting` says
    /// no; nil when none came.
    public func take(maxLength: Int, timeout: Duration, keepWaiting: () -> Bool) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout.inSeconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let chunk: [UInt8]? = bytes.withLock { bytes in
                guard !bytes.isEmpty else { return nil }
                let chunk = Array(bytes.prefix(maxLength))
                bytes.removeFirst(chunk.count)
                return chunk
            }
            if let chunk { return chunk }
            if !keepWaiting() || !condition.wait(until: deadline) { return nil }
        }
    }

    private func change(adding data: [UInt8], first: Bool) {
        condition.lock()
        bytes.withLock { bytes in
            if first { bytes.insert(contentsOf: data, at: 0) } else { bytes += data }
        }
        condition.broadcast()
        condition.unlock()
    }
}
