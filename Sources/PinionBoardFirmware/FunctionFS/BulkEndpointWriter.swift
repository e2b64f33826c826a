import Foundation
import Synchronization

/// Sends bytes on a FunctionFS bulk IN endpoint from a thread of its own, so callers never block
/// on the host. Bytes queued together go out as one transfer; a transfer that is a whole number of
/// full-speed packets (64 bytes) is followed by a zero-length packet, so the host's read ends
/// there instead of waiting for more. What cannot be sent because the host reset or left the
/// gadget is dropped (`clear()` drops what is queued).
final class BulkEndpointWriter: Sendable {
    private let fd: Int32
    private let queue = Mutex<(bytes: [UInt8], stopped: Bool)>(([], false))
    private let wake = NSCondition()

    init(fd: Int32, name: String) {
        self.fd = fd
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    func send(_ bytes: [UInt8]) {
        queue.withLock { $0.bytes += bytes }
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    func clear() { queue.withLock { $0.bytes = [] } }

    func stop() {
        queue.withLock { $0.stopped = true }
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    private func loop() {
        while true {
            wake.lock()
            var batch: [UInt8] = []
            while batch.isEmpty {
                let (bytes, stopped) = queue.withLock { state -> ([UInt8], Bool) in
                    defer { state.bytes = [] }
                    return (state.bytes, state.stopped)
                }
                if stopped { wake.unlock(); return }
                batch = bytes
                if batch.isEmpty { wake.wait() }
            }
            wake.unlock()
            let written = batch.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if written == batch.count, batch.count % 64 == 0 {
                _ = write(fd, [UInt8](), 0)
            }
        }
    }
}
