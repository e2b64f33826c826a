import PinionBoardLink

extension FuzzTarget {
    /// Bulk IN bytes from a board (host side, `BoardConnection`) or from the host (emulated board):
    /// `BoardFrameDecoder` fed in pieces, each frame it yields decoded as a `BoardMessage`.
    ///
    /// The first byte chooses the piece size (how the bytes arrive in bulk transfers). When its top
    /// bit is set, the rest is also taken as one frame's type, request id and payload, framed with
    /// correct checksums, so that the message decoding behind the CRCs is fuzzed directly.
    static let boardFrames = FuzzTarget(name: "board-frames",
                                        summary: "BoardFrameDecoder (push/next) and BoardMessage(frame:)") { bytes in
        guard let control = bytes.first else { return }
        let stream = bytes.dropFirst()
        var decoder = BoardFrameDecoder(maximumPayload: 1 << 16)
        let pieceSize = Int(control & 0x3F) + 1
        var offset = stream.startIndex
        while offset < stream.endIndex {
            let end = min(offset + pieceSize, stream.endIndex)
            decoder.push(stream[offset..<end])
            offset = end
            while let next = decoder.next() {
                if case .success(let frame) = next { _ = try? BoardMessage(frame: frame) }
            }
        }
        if control & 0x80 != 0, stream.count >= 5 {
            let type = stream[stream.startIndex]
            let requestID = stream.dropFirst().prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
            let frame = BoardFrame(type: type, requestID: requestID, payload: Array(stream.dropFirst(5)))
            var framed = BoardFrameDecoder()
            framed.push(frame.encoded())
            while let next = framed.next() {
                if case .success(let decoded) = next { _ = try? BoardMessage(frame: decoded) }
            }
        }
    }
}
