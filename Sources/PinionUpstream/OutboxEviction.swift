import Foundation

/// One class of messages evicted from the outbox in one go, and why: logged as one line
/// (`description`) and sent upstream as a notice (`noticePayload`), so that the network learns
/// what it will never get.
public struct Eviction: Sendable, Hashable {
    public enum Reason: String, Sendable, Codable {
        /// The outbox held more than `Limits.maxBytes`.
        case size
        /// The messages were older than `Limits.maxAgeSeconds`.
        case age
    }

    public var reason: Reason
    public var kind: Outbox.MessageClass
    public var count: Int
    /// Payload bytes evicted.
    public var bytes: Int64
    /// Outbox ids, first and last (oldest first; messages claimed for sending are never evicted,
    /// so the range may have holes).
    public var firstID: Int64
    public var lastID: Int64
    /// When the oldest and newest evicted messages were enqueued.
    public var oldest: Date
    public var newest: Date
    /// The ledger seqs evicted, as runs (ledger entries only): the entries to fetch from the
    /// gateway's ledger file if they are wanted.
    public var sequences: [ClosedRange<Int64>]
    /// The limit passed: bytes (size) or seconds (age).
    public var limit: Double
    /// Evictions per class so far, this one included.
    public var totals: [Outbox.MessageClass: EvictionCount]
    public var time: Date

    /// One line: what was evicted and why.
    public var description: String {
        let why = switch reason {
        case .size: "the outbox passed its size limit of \(Self.megabytes(limit)) MB"
        case .age: "older than the outbox's age limit of \(Self.hours(limit)) h"
        }
        let seqs = sequences.isEmpty ? "" : ", ledger seq " + sequences.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
        return "outbox: evicted \(count) \(kind.rawValue) message\(count == 1 ? "" : "s") (\(bytes) bytes, ids \(firstID)-\(lastID)\(seqs), "
            + "enqueued \(Self.iso(oldest)) to \(Self.iso(newest))): \(why); \(totals[kind]?.messages ?? Int64(count)) \(kind.rawValue) evicted in all"
    }

    /// The notice sent upstream for this eviction alone.
    public var notice: EvictionNotice {
        EvictionNotice(reason: reason.rawValue, class: kind.rawValue, count: Int64(count), bytes: bytes, firstId: firstID, lastId: lastID,
                       oldestMs: Self.ms(oldest), newestMs: Self.ms(newest),
                       sequences: sequences.isEmpty ? nil : sequences.map { [$0.lowerBound, $0.upperBound] }, limit: limit,
                       totals: Dictionary(uniqueKeysWithValues: totals.map { ($0.key.rawValue, $0.value) }), timeMs: Self.ms(time))
    }

    /// Consecutive numbers as runs: [0, 1, 2, 5] → [0...2, 5...5].
    static func runs(_ numbers: [Int64]) -> [ClosedRange<Int64>] {
        merge(numbers.map { $0...$0 })
    }

    /// Runs sorted, with overlapping and adjacent ones joined.
    static func merge(_ runs: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var merged: [ClosedRange<Int64>] = []
        for run in runs.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, run.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, run.upperBound)
            } else {
                merged.append(run)
            }
        }
        return merged
    }

    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
    private static func megabytes(_ bytes: Double) -> String { String(format: "%g", bytes / 1_048_576) }
    private static func hours(_ seconds: Double) -> String { String(format: "%g", seconds / 3600) }
}

/// What the network is told about evictions (topic `<prefix>/<gateway>/outbox/evicted`), as JSON
/// with sorted keys: one class's messages evicted for one reason since the last notice was sent
/// (evictions while a notice waits are merged into it), and the totals so far.
public struct EvictionNotice: Sendable, Hashable, Codable {
    /// `size` or `age`.
    public var reason: String
    /// `telemetry` or `ledger`.
    public var `class`: String
    public var count: Int64
    public var bytes: Int64
    /// Outbox ids (local, increasing), first and last.
    public var firstId: Int64
    public var lastId: Int64
    /// When the oldest and newest evicted messages were enqueued (Unix ms).
    public var oldestMs: Int64
    public var newestMs: Int64
    /// Ledger entries only: the seqs evicted, as [first, last] runs.
    public var sequences: [[Int64]]?
    /// The limit passed: bytes or seconds.
    public var limit: Double
    /// Class → evictions so far (messages and bytes), as the outbox counts them.
    public var totals: [String: EvictionCount]
    /// When the notice was last written (Unix ms).
    public var timeMs: Int64

    /// True when `other` is about the same class and reason, so that it can be merged into this.
    public func matches(_ other: EvictionNotice) -> Bool { reason == other.reason && `class` == other.class }

    /// This notice and a later one for the same class and reason, as one.
    public func merged(with later: EvictionNotice) -> EvictionNotice {
        var merged = later
        merged.count += count
        merged.bytes += bytes
        merged.firstId = min(firstId, later.firstId)
        merged.lastId = max(lastId, later.lastId)
        merged.oldestMs = min(oldestMs, later.oldestMs)
        merged.newestMs = max(newestMs, later.newestMs)
        let runs = ((sequences ?? []) + (later.sequences ?? [])).compactMap { $0.count == 2 && $0[0] <= $0[1] ? $0[0]...$0[1] : nil }
        merged.sequences = runs.isEmpty ? nil : Eviction.merge(runs).map { [$0.lowerBound, $0.upperBound] }
        return merged
    }

    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? [UInt8](encoder.encode(self))) ?? []
    }

    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(EvictionNotice.self, from: Data(json))
    }

    init(reason: String, class: String, count: Int64, bytes: Int64, firstId: Int64, lastId: Int64, oldestMs: Int64, newestMs: Int64,
         sequences: [[Int64]]?, limit: Double, totals: [String: EvictionCount], timeMs: Int64) {
        self.reason = reason
        self.class = `class`
        self.count = count
        self.bytes = bytes
        self.firstId = firstId
        self.lastId = lastId
        self.oldestMs = oldestMs
        self.newestMs = newestMs
        self.sequences = sequences
        self.limit = limit
        self.totals = totals
        self.timeMs = timeMs
    }
}

/// Messages of one class evicted so far (persisted in the outbox's `meta`).
public struct EvictionCount: Sendable, Hashable, Codable {
    public var messages: Int64
    public var bytes: Int64

    public init(messages: Int64 = 0, bytes: Int64 = 0) {
        self.messages = messages
        self.bytes = bytes
    }
}
