import Foundation

/// The end of a ledger file as `GatewayLedger` finds it at open: the last complete entries (at
/// least `minBytes` of them, or the whole file; always whole entries, however long one is), and
/// a torn final line if the last write did not finish.
struct LedgerTail {
    /// The entries of the window, in file order.
    var entries: [LedgerEntry]
    /// Where the window starts in the file (0: it is the whole file).
    var windowStart: UInt64
    /// Where the good part of the file ends: its length once a torn final line is dropped.
    var goodLength: UInt64
    /// The bytes after `goodLength`: a final line that is not newline-terminated, or not an entry.
    var torn: [UInt8]

    /// Reads backwards from the end in growing chunks until the window holds at least `minBytes`
    /// and `minEntries` complete lines, or reaches the start of the file.
    static func read(path: String, minBytes: UInt64, minEntries: Int = 3) throws(LedgerError) -> LedgerTail {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError(entry: nil, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw LedgerError(entry: nil, "cannot read \(path): \(String(cString: strerror(errno)))") }
        let size = UInt64(status.st_size)
        var start = size
        var data: [UInt8] = []
        let newline = UInt8(ascii: "\n")
        while start > 0 {
            let chunk = max(UInt64(64 << 10), UInt64(data.count))
            let from = start > chunk ? start - chunk : 0
            var bytes = [UInt8](repeating: 0, count: Int(start - from))
            var done = 0
            while done < bytes.count {
                let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(from) + off_t(done)) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw LedgerError(entry: nil, "\(path): read error at byte \(from + UInt64(done)): \(String(cString: strerror(errno)))") }
                done += count
            }
            data = bytes + data
            start = from
            guard start > 0, let first = data.firstIndex(of: newline) else { continue }
            // The first line may have begun before `start`: only what follows its end counts.
            let after = data.count - first - 1
            if after >= minBytes && data[(first + 1)...].count(where: { $0 == newline }) >= minEntries + 1 {
                data.removeFirst(first + 1)
                start += UInt64(first + 1)
                break
            }
        }
        return try parse(data, windowStart: start, path: path)
    }

    private static func parse(_ data: [UInt8], windowStart: UInt64, path: String) throws(LedgerError) -> LedgerTail {
        let newline = UInt8(ascii: "\n")
        var end = data.count
        var torn: [UInt8] = []
        if let last = data.last, last != newline {
            let from = data.lastIndex(of: newline).map { $0 + 1 } ?? 0
            torn = Array(data[from...])
            end = from
        } else if end > 0 {
            // A newline-terminated final line that is not an entry is torn too (a write cut short
            // by a power cut can leave zeros or half a line before the newline).
            let from = data[..<(end - 1)].lastIndex(of: newline).map { $0 + 1 } ?? 0
            let line = data[from..<(end - 1)]
            if !line.isEmpty && (try? JSONDecoder().decode(LedgerEntry.self, from: Data(line))) == nil {
                torn = Array(data[from...])
                end = from
            }
        }
        var entries: [LedgerEntry] = []
        var lineStart = 0
        for index in 0..<end where data[index] == newline {
            defer { lineStart = index + 1 }
            let line = data[lineStart..<index]
            if line.isEmpty { continue }
            guard let entry = try? JSONDecoder().decode(LedgerEntry.self, from: Data(line)) else {
                throw LedgerError(entry: nil, "\(path): the line at byte \(windowStart + UInt64(lineStart)) is not a ledger entry and entries follow it: "
                                  + "nothing was written; keep what verifies with `pinion ledger repair \(path)`")
            }
            entries.append(entry)
        }
        return LedgerTail(entries: entries, windowStart: windowStart, goodLength: windowStart + UInt64(end), torn: torn)
    }
}
