/// Bounds-checked little-endian reads from a whole file, throwing `FirmwareImageError.truncated`
/// that names the field and the section instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    let file: String

    var count: Int { bytes.count }

    func u8(_ offset: Int, _ field: String, in section: String) throws(FirmwareImageError) -> UInt8 {
        try need(offset, 1, field, section)
        return bytes[offset]
    }

    func u16(_ offset: Int, _ field: String, in section: String) throws(FirmwareImageError) -> UInt16 {
        try need(offset, 2, field, section)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int, _ field: String, in section: String) throws(FirmwareImageError) -> UInt32 {
        try need(offset, 4, field, section)
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    func slice(_ offset: Int, _ length: Int, _ field: String, in section: String) throws(FirmwareImageError) -> ArraySlice<UInt8> {
        try need(offset, length, field, section)
        return bytes[offset..<(offset + length)]
    }

    func need(_ offset: Int, _ length: Int, _ field: String, _ section: String) throws(FirmwareImageError) {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            let available = max(0, bytes.count - max(0, offset))
            throw FirmwareImageError(
                .truncated, file: file, section: section, offset: offset,
                problem: "the file ends inside \(field): it needs \(length) bytes here, \(available) are left (file is \(bytes.count) bytes)")
        }
    }

    func error(_ kind: FirmwareImageError.Kind, _ section: String, at offset: Int?, _ problem: String) -> FirmwareImageError {
        FirmwareImageError(kind, file: file, section: section, offset: offset, problem: problem)
    }
}

/// Little-endian appends for the writers.
extension Array where Element == UInt8 {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
