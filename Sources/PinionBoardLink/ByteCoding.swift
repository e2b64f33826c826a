/// Little-endian field writer for message payloads.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes.appendLittleEndian(value) }
    mutating func u32(_ value: UInt32) { bytes.appendLittleEndian(value) }
    mutating func u64(_ value: UInt64) { bytes.appendLittleEndian(value) }
    mutating func f64(_ value: Double) { u64(value.bitPattern) }
    /// u16 length, then UTF-8.
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8.prefix(Int(UInt16.max)))
        u16(UInt16(utf8.count))
        bytes += utf8
    }
    /// u32 length, then the bytes.
    mutating func blob(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes += value
    }
    mutating func strings(_ values: [String]) {
        u16(UInt16(min(values.count, Int(UInt16.max))))
        for value in values.prefix(Int(UInt16.max)) { string(value) }
    }
    /// The rest of the payload, unprefixed.
    mutating func rest(_ value: [UInt8]) { bytes += value }
}

/// Reads what `ByteWriter` wrote; every read past the end or malformed field throws, naming the field.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private mutating func take(_ count: Int, _ field: String) throws(BoardMessageError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw .truncated(field: field, needed: count, available: bytes.count - offset)
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8(_ field: String) throws(BoardMessageError) -> UInt8 { try take(1, field).first! }
    mutating func u16(_ field: String) throws(BoardMessageError) -> UInt16 { try take(2, field).littleEndian(at: 0) }
    mutating func u32(_ field: String) throws(BoardMessageError) -> UInt32 { try take(4, field).littleEndian(at: 0) }
    mutating func u64(_ field: String) throws(BoardMessageError) -> UInt64 { try take(8, field).littleEndian(at: 0) }
    mutating func f64(_ field: String) throws(BoardMessageError) -> Double { Double(bitPattern: try u64(field)) }

    mutating func string(_ field: String) throws(BoardMessageError) -> String {
        let count = Int(try u16(field))
        let utf8 = try take(count, field)
        guard let text = String(validating: utf8, as: UTF8.self) else { throw .invalid(field: field, "not UTF-8") }
        return text
    }

    mutating func blob(_ field: String) throws(BoardMessageError) -> [UInt8] {
        let count = Int(try u32(field))
        return Array(try take(count, field))
    }

    mutating func strings(_ field: String) throws(BoardMessageError) -> [String] {
        let count = Int(try u16(field))
        var values: [String] = []
        for index in 0..<count { values.append(try string("\(field)[\(index)]")) }
        return values
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// Throws if bytes are left over: a payload longer than its type allows is malformed.
    /// `type` is only made when it is needed, for the error.
    func finish(_ type: @autoclosure () -> String) throws(BoardMessageError) {
        guard offset == bytes.count else { throw .invalid(field: type(), "\(bytes.count - offset) bytes left over") }
    }
}
