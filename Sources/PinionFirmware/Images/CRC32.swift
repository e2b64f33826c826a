/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven.
///
/// `checksum` is zlib's `crc32`. The DFU suffix's dwCRC (DFU 1.1 appendix B) is the same register
/// without the final inversion: `dfuSuffixCRC(x) == ~checksum(x)`.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    /// Runs the register over `bytes`, starting from `register` (0xFFFFFFFF for a fresh CRC), without final inversion.
    public static func update(_ register: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        table.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { buffer in
                var crc = register
                for byte in buffer { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
                return crc
            }
        }
    }

    /// zlib's `crc32(bytes)`; `checksum("123456789") == 0xCBF43926`.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 { ~update(0xFFFF_FFFF, bytes) }

    /// zlib's `crc32(bytes)`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 { checksum(bytes[...]) }

    /// The value a DFU suffix stores for these bytes (everything before the dwCRC field).
    public static func dfuSuffixCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 { update(0xFFFF_FFFF, bytes) }

    /// The value a DFU suffix stores for these bytes (everything before the dwCRC field).
    public static func dfuSuffixCRC(_ bytes: [UInt8]) -> UInt32 { dfuSuffixCRC(bytes[...]) }
}
