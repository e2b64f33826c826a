/// Reads a DfuSe memory layout string (see `DfuSeMemoryLayout`) byte by byte, with a bounds
/// check on every read and an overflow check on every number, so any string gives a layout or a
/// `DfuSeLayoutError`, never a trap.
struct DfuSeLayoutParser {
    private let text: String
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    mutating func layout() throws(DfuSeLayoutError) -> DfuSeMemoryLayout {
        guard peek == UInt8(ascii: "@") else {
            throw error("does not start with \"@\": not a DfuSe memory layout (expected \"@name/0xADDRESS/sectors\")")
        }
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else {
            throw error(at: bytes.count, "no \"/\" after the name: expected \"@name/0xADDRESS/sectors\"")
        }
        let name = String(decoding: Self.trimmed(bytes[1..<slash]), as: UTF8.self)
        index = slash
        var regions: [DfuSeMemoryRegion] = []
        while peek == UInt8(ascii: "/") {
            index += 1
            regions.append(try region(after: regions))
        }
        while let byte = peek, byte == UInt8(ascii: " ") || byte == 0 { index += 1 }
        if let byte = peek {
            throw error("unexpected \(Self.show(byte)) after the sectors: expected \",\", \"/0xADDRESS\" or the end")
        }
        return DfuSeMemoryLayout(name: name, regions: regions)
    }

    private mutating func region(after earlier: [DfuSeMemoryRegion]) throws(DfuSeLayoutError) -> DfuSeMemoryRegion {
        let startOffset = index
        let start = try address()
        guard peek == UInt8(ascii: "/") else {
            throw error(peek == nil ? "the string ends after the address: expected \"/\" and the sectors"
                                    : "expected \"/\" after the address, found \(Self.show(peek!))")
        }
        index += 1
        let room = (UInt64(1) << 32) - UInt64(start)
        var groups: [DfuSeSectorGroup] = []
        var size: UInt64 = 0
        repeat {
            if !groups.isEmpty { index += 1 }
            let groupOffset = index
            let group = try sectorGroup()
            size += group.byteCount
            guard size <= room else {
                throw error(at: groupOffset, "the region at \(Hex.u32(start)) runs past the end of the 32-bit address space")
            }
            groups.append(group)
        } while peek == UInt8(ascii: ",")
        let region = DfuSeMemoryRegion(start: start, groups: groups)
        if let other = earlier.first(where: { UInt64($0.start) < region.end && UInt64(region.start) < $0.end }) {
            throw error(at: startOffset, "region \(region.range) overlaps region \(other.range)")
        }
        return region
    }

    /// `0x08000000`: 1 to 8 hex digits after `0x`.
    private mutating func address() throws(DfuSeLayoutError) -> UInt32 {
        guard peek == UInt8(ascii: "0"), index + 1 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "x") else {
            throw error("expected a start address in hex, such as 0x08000000")
        }
        index += 2
        let first = index
        var value: UInt32 = 0
        while let byte = peek, let digit = Self.hexDigit(byte) {
            guard index - first < 8 else { throw error(at: first, "the address has more than 8 hex digits") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        guard index > first else { throw error("expected hex digits after \"0x\"") }
        return value
    }

    /// `04*016Kg`: count, `*`, size, multiplier, type letter.
    private mutating func sectorGroup() throws(DfuSeLayoutError) -> DfuSeSectorGroup {
        let countOffset = index
        let count = try number("sector count")
        guard count > 0 else { throw error(at: countOffset, "the sector count is 0") }
        guard peek == UInt8(ascii: "*") else {
            throw error("expected \"*\" between the sector count and the sector size (as in 04*016Kg)")
        }
        index += 1
        let sizeOffset = index
        let amount = try number("sector size")
        guard amount > 0 else { throw error(at: sizeOffset, "the sector size is 0") }
        var multiplier: UInt64 = 1
        switch peek {
        case UInt8(ascii: "K"): multiplier = 1 << 10; index += 1
        case UInt8(ascii: "M"): multiplier = 1 << 20; index += 1
        case UInt8(ascii: "B"), UInt8(ascii: " "): index += 1
        default: break
        }
        let size = amount * multiplier
        guard size <= UInt64(UInt32.max) else { throw error(at: sizeOffset, "a sector of \(size) bytes is larger than the 32-bit address space") }
        guard let letter = peek, letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "g") else {
            let found = peek.map(Self.show) ?? "the end of the string"
            throw error("expected the sector type letter a-g (readable 1, erasable 2, writable 4, plus 0x60), found \(found)")
        }
        index += 1
        return DfuSeSectorGroup(count: Int(count), size: Int(size), access: DfuSeSectorAccess(rawValue: letter - 0x60))
    }

    /// Up to 9 decimal digits.
    private mutating func number(_ what: String) throws(DfuSeLayoutError) -> UInt64 {
        let first = index
        var value: UInt64 = 0
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            guard index - first < 9 else { throw error(at: first, "the \(what) has more than 9 digits") }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            index += 1
        }
        guard index > first else {
            throw error("expected the \(what) in decimal, found \(peek.map(Self.show) ?? "the end of the string")")
        }
        return value
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func error(_ problem: String) -> DfuSeLayoutError { error(at: index, problem) }

    private func error(at offset: Int, _ problem: String) -> DfuSeLayoutError {
        DfuSeLayoutError(layout: text, offset: offset, problem: problem)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `"x"` for printable ASCII, `byte 0x1f` otherwise.
    private static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "\"\(String(UnicodeScalar(byte)))\"" : "byte 0x" + Hex.padded(UInt64(byte), 2)
    }

    private static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = slice
        while slice.first == UInt8(ascii: " ") { slice.removeFirst() }
        while slice.last == UInt8(ascii: " ") { slice.removeLast() }
        return slice
    }
}
