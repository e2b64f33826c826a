import Foundation
import PinionBoardLink

/// Board-protocol frames over file descriptors (a socket, or pipes): what `ExecBackend` and a worker
/// (`BackendWorker`) say to each other. Blocking; one reader and one writer at a time.
struct FramePipe {
    let input: Int32
    let output: Int32
    private var decoder = BoardFrameDecoder()

    init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
    }

    /// Writes the whole frame; false when the other end is gone.
    func send(_ message: BoardMessage, requestID: UInt32) -> Bool {
        let bytes = message.frame(requestID: requestID).encoded()
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw -> Int in
                let result = Glibc.send(output, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
                // Not a socket (a worker's stdout may be a pipe): plain write.
                return result < 0 && errno == ENOTSOCK ? write(output, raw.baseAddress! + written, raw.count - written) : result
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// The next frame; nil at end of file or on a read error. A malformed frame is an error
    /// message naming it, so the caller can say what the other end sent.
    mutating func receive() -> Result<BoardFrame, BoardFrameError>? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let next = decoder.next() { return next }
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            decoder.push(buffer[0..<count])
        }
    }
}
