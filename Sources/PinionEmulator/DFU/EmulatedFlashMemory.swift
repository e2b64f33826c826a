/// The bytes of an emulated part's memory over the 32-bit address space: erased memory reads
/// 0xFF. Stored sparsely in 4 KiB pages, only those holding something else, so a copy is cheap
/// (pages are shared until written) and a megabyte of flash costs nothing until it is written.
/// A value; what may be written where is the device model's business, not this store's.
public struct EmulatedFlashMemory: Sendable, Hashable {
    /// What erased flash reads as.
    public static let erasedValue: UInt8 = 0xFF
    private static let pageSize: UInt64 = 4096

    private var pages: [UInt32: [UInt8]] = [:]

    public init() {}

    /// `count` bytes from `address`; bytes past the end of the address space read as erased.
    public func read(_ address: UInt32, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: Self.erasedValue, count: max(0, count))
        forEachPage(from: address, count: count) { page, offset, range in
            if let stored = pages[page] { out[range] = stored[offset..<(offset + range.count)] }
        }
        return out
    }

    /// Stores `bytes` at `address` (bytes past the end of the address space are dropped).
    public mutating func write(_ bytes: [UInt8], at address: UInt32) {
        forEachPage(from: address, count: bytes.count) { page, offset, range in
            var stored = pages.removeValue(forKey: page) ?? [UInt8](repeating: Self.erasedValue, count: Int(Self.pageSize))
            stored.replaceSubrange(offset..<(offset + range.count), with: bytes[range])
            if stored.contains(where: { $0 != Self.erasedValue }) { pages[page] = stored }
        }
    }

    /// Sets `count` bytes from `address` to the erased value.
    public mutating func erase(_ address: UInt32, count: Int) {
        write([UInt8](repeating: Self.erasedValue, count: max(0, count)), at: address)
    }

    /// True when every byte of the range reads as erased.
    public func isErased(_ address: UInt32, count: Int) -> Bool {
        var erased = true
        forEachPage(from: address, count: count) { page, offset, range in
            if erased, let stored = pages[page], stored[offset..<(offset + range.count)].contains(where: { $0 != Self.erasedValue }) {
                erased = false
            }
        }
        return erased
    }

    /// Calls `body(page address, offset in page, range in the caller's buffer)` for each page the range touches.
    private func forEachPage(from address: UInt32, count: Int, _ body: (UInt32, Int, Range<Int>) -> Void) {
        let end = min(UInt64(address) + UInt64(max(0, count)), UInt64(1) << 32)
        var cursor = UInt64(address)
        while cursor < end {
            let page = cursor / Self.pageSize * Self.pageSize
            let stop = min(page + Self.pageSize, end)
            let done = Int(cursor - UInt64(address))
            body(UInt32(page), Int(cursor - page), done..<(done + Int(stop - cursor)))
            cursor = stop
        }
    }
}
