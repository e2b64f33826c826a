/// The memory map a DfuSe device publishes in the string of each DFU alternate setting
/// (ST UM0424 §10.3.2, AN3156), e.g. STM32F4's internal flash:
///
///     @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg
///
/// `@` and a name, then one or more regions: `/` start address in hex, `/` comma-separated sector
/// groups `count*size` with a multiplier (`K` = 1024, `M` = 1024², `B` or a space = bytes) and a
/// type letter `a`…`g` whose bits say readable (1), erasable (2), writable (4). A value; parsing
/// never traps, whatever the string.
public struct DfuSeMemoryLayout: Sendable, Hashable, CustomStringConvertible {
    /// `Internal Flash` (spaces around it trimmed).
    public var name: String
    /// Regions in the order the string lists them; they do not overlap.
    public var regions: [DfuSeMemoryRegion]

    public init(name: String, regions: [DfuSeMemoryRegion]) {
        self.name = name
        self.regions = regions
    }

    /// Parses an alternate setting's string; throws one-line errors naming the character at fault.
    public static func parse(_ string: String) throws(DfuSeLayoutError) -> DfuSeMemoryLayout {
        var parser = DfuSeLayoutParser(string)
        return try parser.layout()
    }

    /// The sector holding `address`, if any region covers it.
    public func sector(containing address: UInt32) -> DfuSeSector? {
        for region in regions {
            if let sector = region.sector(containing: address) { return sector }
        }
        return nil
    }

    /// The region holding `address`, if any.
    public func region(containing address: UInt32) -> DfuSeMemoryRegion? {
        regions.first { $0.contains(address) }
    }

    /// The sectors `count` bytes from `address` touch, in address order; nil when any byte of the
    /// range lies outside every region.
    public func sectors(from address: UInt32, count: Int) -> [DfuSeSector]? {
        guard count > 0 else { return [] }
        let end = UInt64(address) + UInt64(count)
        var sectors: [DfuSeSector] = []
        var cursor = UInt64(address)
        while cursor < end {
            guard cursor <= UInt64(UInt32.max), let sector = sector(containing: UInt32(cursor)) else { return nil }
            sectors.append(sector)
            cursor = sector.end
        }
        return sectors
    }

    /// True when every byte of the range is in a sector with all of `access`.
    public func allows(_ access: DfuSeSectorAccess, from address: UInt32, count: Int) -> Bool {
        sectors(from: address, count: count)?.allSatisfy { $0.access.isSuperset(of: access) } ?? false
    }

    /// The layout in the canonical form of the string (`@Internal Flash/0x08000000/04*016Kg,...`);
    /// parsing it gives this layout back.
    public var encoded: String {
        "@" + name + regions.map { "/" + Hex.u32($0.start) + "/" + $0.groups.map(\.encoded).joined(separator: ",") }.joined()
    }

    /// `Internal Flash 0x08000000-0x08100000 (4x16K erasable+writable, ...)`, for messages.
    public var description: String {
        "\"\(OneLine.clean(name))\" " + regions.map(\.description).joined(separator: ", ")
    }
}

/// One `/address/sectors` group of a layout: contiguous memory from `start`.
public struct DfuSeMemoryRegion: Sendable, Hashable, CustomStringConvertible {
    public var start: UInt32
    public var groups: [DfuSeSectorGroup]

    public init(start: UInt32, groups: [DfuSeSectorGroup]) {
        self.start = start
        self.groups = groups
    }

    /// Bytes the region spans.
    public var size: UInt64 { groups.reduce(0) { $0 + $1.byteCount } }
    /// One past the last address (may be 2³², hence 64 bits).
    public var end: UInt64 { UInt64(start) + size }

    public func contains(_ address: UInt32) -> Bool { UInt64(address) >= UInt64(start) && UInt64(address) < end }

    public func sector(containing address: UInt32) -> DfuSeSector? {
        guard contains(address) else { return nil }
        var groupStart = UInt64(start)
        for group in groups {
            let groupEnd = groupStart + group.byteCount
            if UInt64(address) < groupEnd {
                let index = (UInt64(address) - groupStart) / UInt64(group.size)
                return DfuSeSector(address: UInt32(groupStart + index * UInt64(group.size)), size: group.size, access: group.access)
            }
            groupStart = groupEnd
        }
        return nil
    }

    /// `0x08000000-0x08100000`, end exclusive.
    public var range: String { Hex.u32(start) + "-0x" + Hex.padded(end, 8) }

    public var description: String { range }
}

/// `count` sectors of `size` bytes with the same access.
public struct DfuSeSectorGroup: Sendable, Hashable {
    public var count: Int
    public var size: Int
    public var access: DfuSeSectorAccess

    public init(count: Int, size: Int, access: DfuSeSectorAccess) {
        self.count = count
        self.size = size
        self.access = access
    }

    public var byteCount: UInt64 { UInt64(count) * UInt64(size) }

    /// `04*016Kg`.
    var encoded: String {
        let (amount, unit) = size % (1 << 20) == 0 ? (size >> 20, "M") : size % 1024 == 0 ? (size >> 10, "K") : (size, "B")
        return Self.padded(count, 2) + "*" + Self.padded(amount, 3) + unit + String(UnicodeScalar(0x60 + access.rawValue))
    }

    private static func padded(_ value: Int, _ digits: Int) -> String {
        let text = String(value)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}

/// One sector (page) of a region: the unit DfuSe erases.
public struct DfuSeSector: Sendable, Hashable {
    public var address: UInt32
    public var size: Int
    public var access: DfuSeSectorAccess

    public init(address: UInt32, size: Int, access: DfuSeSectorAccess) {
        self.address = address
        self.size = size
        self.access = access
    }

    /// One past the last byte.
    public var end: UInt64 { UInt64(address) + UInt64(size) }
}

/// The type letter of a sector group: `a` = readable, `b` = erasable, `d` = writable, and their
/// sums up to `g` = all three.
public struct DfuSeSectorAccess: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readable = DfuSeSectorAccess(rawValue: 1)
    public static let erasable = DfuSeSectorAccess(rawValue: 2)
    public static let writable = DfuSeSectorAccess(rawValue: 4)

    /// `readable+erasable+writable`; `no access` for none.
    public var description: String {
        let names = [(Self.readable, "readable"), (.erasable, "erasable"), (.writable, "writable")].filter { contains($0.0) }.map(\.1)
        return names.isEmpty ? "no access" : names.joined(separator: "+")
    }
}

/// A memory layout string that cannot be read, on one line: the string (escaped, shortened),
/// the byte at fault and what is wrong.
public struct DfuSeLayoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var layout: String
    /// Byte offset into the string's UTF-8.
    public var offset: Int
    public var problem: String

    public init(layout: String, offset: Int, problem: String) {
        self.layout = layout
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        let shown = layout.count > 80 ? String(layout.prefix(77)) + "..." : layout
        return "DfuSe memory layout \"\(OneLine.clean(shown))\" (byte \(offset)): \(OneLine.clean(problem))"
    }
}
