import PinionI2C

/// One transfer as it appeared on an emulated bus's wire: for transaction tables in tests, in
/// the manner of periph.io's `i2ctest.Playback` (`{Addr: 0x48, W: [0x00], R: [0x19, 0x00]}`).
public struct EmulatedI2CTransaction: Hashable, Sendable, CustomStringConvertible {
    /// One message: a (repeated) START, the address with its R/W bit, then data.
    public enum Segment: Hashable, Sendable, CustomStringConvertible {
        /// Bytes the master wrote (empty for a quick write).
        case write([UInt8])
        /// Bytes the master read (empty for a quick read).
        case read([UInt8])

        public var description: String {
            switch self {
            case .write(let bytes): "W[\(bytes.map { String($0, radix: 16) }.joined(separator: " "))]"
            case .read(let bytes): "R[\(bytes.map { String($0, radix: 16) }.joined(separator: " "))]"
            }
        }
    }

    public var address: I2CAddress
    public var segments: [Segment]
    /// False when nothing acknowledged the address (the last segment is then empty) or a written
    /// byte (the last segment ends with it): the transfer stopped there.
    public var acknowledged: Bool

    public init(_ address: I2CAddress, _ segments: Segment..., acknowledged: Bool = true) {
        self.init(address: address, segments: segments, acknowledged: acknowledged)
    }

    public init(address: I2CAddress, segments: [Segment], acknowledged: Bool = true) {
        self.address = address
        self.segments = segments
        self.acknowledged = acknowledged
    }

    public var description: String {
        "\(address) " + segments.map(\.description).joined(separator: " ") + (acknowledged ? "" : " NACK")
    }
}
