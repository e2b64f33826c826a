/// One message of Pinion's board protocol on the wire (docs/board-protocol.md):
///
///     offset  size  field
///     0       2     magic "PN" (0x50 0x4E)
///     2       1     protocol version (1)
///     3       1     message type (`BoardMessageType`)
///     4       4     request id, little-endian (a reply carries its request's)
///     8       4     payload length, little-endian (at most `maximumPayload`)
///     12      4     CRC-32C of bytes 0–11
///     16      n     payload
///     16+n    4     CRC-32C of the payload
///
/// The header has its own CRC so that a corrupted length is caught before the decoder waits
/// for a payload that will never come.
public struct BoardFrame: Sendable, Hashable {
    public static let magic: [UInt8] = [0x50, 0x4E]
    public static let version: UInt8 = 1
    public static let headerSize = 16
    public static let trailerSize = 4
    /// 4 MiB: a model chunk or an input tensor fits with room to spare.
    public static let maximumPayload = 4 << 20

    public var type: UInt8
    public var requestID: UInt32
    public var payload: [UInt8]

    public init(type: UInt8, requestID: UInt32, payload: [UInt8] = []) {
        self.type = type
        self.requestID = requestID
        self.payload = payload
    }

    public init(_ type: BoardMessageType, requestID: UInt32, payload: [UInt8] = []) {
        self.init(type: type.rawValue, requestID: requestID, payload: payload)
    }

    /// The frame's bytes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + payload.count + Self.trailerSize)
        bytes += Self.magic
        bytes.append(Self.version)
        bytes.append(type)
        bytes.appendLittleEndian(requestID)
        bytes.appendLittleEndian(UInt32(payload.count))
        bytes.appendLittleEndian(CRC32C.checksum(bytes[0..<12]))
        bytes += payload
        bytes.appendLittleEndian(CRC32C.checksum(payload))
        return bytes
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: 0, to: T.bitWidth, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// A little-endian integer at `offset` (relative to startIndex).
    func littleEndian<T: FixedWidthInteger>(at offset: Int, as _: T.Type = T.self) -> T {
        var value: T = 0
        for byte in 0..<(T.bitWidth / 8) { value |= T(self[startIndex + offset + byte]) << (8 * byte) }
        return value
    }
}
