/// Turns a byte stream (bulk IN transfers, in whatever pieces they come) back into frames.
///
/// A pure value, so it is easy to test and to fuzz. Bad input never stops it: each problem comes
/// out as a `BoardFrameError` in stream order, and decoding carries on — after a bad header it
/// searches for the next magic, after a bad payload it skips that frame (whose header, being
/// valid, said how long it was).
public struct BoardFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of an over-long frame still to be thrown away as they arrive.
    private var discarding = 0
    public let maximumPayload: Int

    public init(maximumPayload: Int = BoardFrame.maximumPayload) {
        self.maximumPayload = maximumPayload
    }

    /// Bytes received and not yet decoded.
    public var pendingBytes: Int { buffer.count - start }

    public mutating func push<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next frame or problem, or nil when more bytes are needed.
    public mutating func next() -> Result<BoardFrame, BoardFrameError>? {
        while true {
            if discarding > 0 {
                let dropped = min(discarding, buffer.count - start)
                start += dropped
                discarding -= dropped
                if discarding > 0 { return nil }
            }
            guard buffer.count - start >= 2 else { return nil }
            guard buffer[start] == BoardFrame.magic[0], buffer[start + 1] == BoardFrame.magic[1] else {
                // Not at a frame: skip to the next magic, and say how much was skipped.
                let skipped = skipToMagic()
                return .failure(.garbage(bytes: skipped))
            }
            guard buffer.count - start >= BoardFrame.headerSize else { return nil }
            let header = buffer[start..<(start + BoardFrame.headerSize)]
            let headerCRC: UInt32 = header.littleEndian(at: 12)
            guard CRC32C.checksum(header.prefix(12)) == headerCRC else {
                start += 1
                _ = skipToMagic()
                return .failure(.headerChecksum)
            }
            let version = header[start + 2]
            let type = header[start + 3]
            let requestID: UInt32 = header.littleEndian(at: 4)
            let length = Int(header.littleEndian(at: 8, as: UInt32.self))
            guard length <= maximumPayload else {
                // The header is sound, so its length is the sender's: skip that many bytes.
                start += BoardFrame.headerSize
                discarding = length + BoardFrame.trailerSize
                return .failure(.tooLong(length: length, maximum: maximumPayload, requestID: requestID))
            }
            let total = BoardFrame.headerSize + length + BoardFrame.trailerSize
            guard buffer.count - start >= total else { return nil }
            let payloadStart = start + BoardFrame.headerSize
            let payload = Array(buffer[payloadStart..<(payloadStart + length)])
            let payloadCRC: UInt32 = buffer[(payloadStart + length)...].littleEndian(at: 0)
            start += total
            guard version == BoardFrame.version else {
                return .failure(.unsupportedVersion(version, requestID: requestID))
            }
            guard CRC32C.checksum(payload) == payloadCRC else {
                return .failure(.payloadChecksum(requestID: requestID))
            }
            return .success(BoardFrame(type: type, requestID: requestID, payload: payload))
        }
    }

    /// Advances to the next "PN" (or to the last byte, which may be the first half of one).
    private mutating func skipToMagic() -> Int {
        let from = start
        while buffer.count - start >= 2 && !(buffer[start] == BoardFrame.magic[0] && buffer[start + 1] == BoardFrame.magic[1]) {
            start += 1
        }
        if buffer.count - start == 1 && buffer[start] != BoardFrame.magic[0] { start += 1 }
        return start - from
    }
}

/// What was wrong with bytes on the link. Each says what, and which request it concerns where
/// the header was readable, so the request can be failed rather than waited for.
public enum BoardFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    case garbage(bytes: Int)
    case headerChecksum
    case tooLong(length: Int, maximum: Int, requestID: UInt32)
    case unsupportedVersion(UInt8, requestID: UInt32)
    case payloadChecksum(requestID: UInt32)

    public var requestID: UInt32? {
        switch self {
        case .garbage, .headerChecksum: nil
        case .tooLong(_, _, let id), .unsupportedVersion(_, let id), .payloadChecksum(let id): id
        }
    }

    public var description: String {
        switch self {
        case .garbage(let bytes): "\(bytes) bytes that are not a frame (no \"PN\" magic) skipped"
        case .headerChecksum: "frame header checksum (CRC-32C) wrong: header skipped, resynchronising on the next magic"
        case .tooLong(let length, let maximum, let id): "request \(id): payload length \(length) over the maximum \(maximum): frame skipped"
        case .unsupportedVersion(let version, let id): "request \(id): protocol version \(version), this Pinion speaks \(BoardFrame.version): frame skipped"
        case .payloadChecksum(let id): "request \(id): payload checksum (CRC-32C) wrong: frame dropped"
        }
    }
}
