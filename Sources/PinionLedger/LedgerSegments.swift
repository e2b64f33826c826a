import Foundation

/// Where a segmented ledger's files are: the newest segment, being written, at the ledger's path
/// (`ledger.jsonl`), and the closed ones, with the checkpoints at their boundaries, in
/// `<path>.segments/`: `<first seq, 20 digits>.jsonl` and `<first seq, 20 digits>.checkpoint`
/// (the checkpoint of the entry before that segment's first). A ledger from before segments is
/// the newest segment, starting at seq 0: it needs no migration.
public struct LedgerSegments: Sendable, Hashable {
    /// The newest segment, if this layout has one (a directory of closed segments alone has none).
    public var active: String?
    /// The closed segments and the checkpoints.
    public var directory: String

    /// The layout of the ledger whose newest segment is at `activePath`.
    public init(activePath: String) {
        active = activePath
        directory = activePath + ".segments"
    }

    /// The layout of a directory of segments; a `<path>.segments` directory whose `<path>`
    /// exists has it as its newest segment.
    public init(directory: String) {
        let trimmed = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.directory = trimmed
        let sibling = trimmed.hasSuffix(".segments") ? String(trimmed.dropLast(".segments".count)) : nil
        active = sibling.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }

    /// A closed segment.
    public struct Segment: Sendable, Hashable {
        public var firstSeq: Int64
        public var path: String
    }

    static func name(_ seq: Int64) -> String { String(format: "%020lld", seq) }

    public func segmentPath(firstSeq: Int64) -> String { "\(directory)/\(Self.name(firstSeq)).jsonl" }

    /// Where the checkpoint of the entry before `firstSeq` is.
    public func checkpointPath(firstSeq: Int64) -> String { "\(directory)/\(Self.name(firstSeq)).checkpoint" }

    /// The closed segments, oldest first.
    public func sealed() -> [Segment] {
        numbered(".jsonl").map { Segment(firstSeq: $0, path: segmentPath(firstSeq: $0)) }
    }

    /// The first seq of every checkpoint there is, in order.
    public func checkpoints() -> [Int64] { numbered(".checkpoint") }

    private func numbered(_ suffix: String) -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int64? in
            guard name.hasSuffix(suffix), name.count == 20 + suffix.count else { return nil }
            return Int64(name.dropLast(suffix.count))
        }.sorted()
    }

    /// The seq of the first entry of the file at `path`; nil for an empty file or a first line
    /// that is not an entry.
    public static func firstSeq(of path: String) -> Int64? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        guard getline(&line, &capacity, file) > 0, let line else { return nil }
        return (try? JSONDecoder().decode(LedgerEntry.self, from: Data(String(cString: line).utf8)))?.seq
    }

    /// The checkpoint a segment starting at `firstSeq` verifies from; nil for seq 0.
    public func checkpoint(firstSeq: Int64) throws(LedgerError) -> LedgerCheckpoint? {
        guard firstSeq > 0 else { return nil }
        let path = checkpointPath(firstSeq: firstSeq)
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(entry: nil, "the segment starting at seq \(firstSeq) has no checkpoint \(path): it cannot be verified on its own")
        }
        return try LedgerCheckpoint.read(path: path)
    }

    /// fsyncs the directory holding `path` (a rename or a new file in it is durable then).
    static func syncDirectory(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
