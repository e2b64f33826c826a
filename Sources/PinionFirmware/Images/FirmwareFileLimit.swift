import PinionBoards

/// The largest firmware file Pinion reads: the largest flash in the board catalogue (a board's
/// `[flash] flash_size_kib`, or for DfuSe boards the memory their alternate settings' layouts
/// describe), plus room for the container's headers (DfuSe prefix and targets, MCUboot header
/// and TLVs, DFU suffix). A bigger file fits no board: it is refused from its size, unread.
public struct FirmwareFileLimit: Sendable, Hashable, CustomStringConvertible {
    /// Container overhead allowed on top of the largest flash.
    public static let headerAllowance = 64 * 1024
    /// With no board that says its size: the 32-bit address space DFU and DfuSe can reach.
    public static let addressSpace = FirmwareFileLimit(flashBytes: 1 << 32, source: "the 32-bit address space (no board in the catalogue gives its flash size)")

    /// The largest flash, in bytes.
    public var flashBytes: Int
    /// Where that figure comes from, for the error message.
    public var source: String
    /// The largest file accepted.
    public var fileBytes: Int { flashBytes + Self.headerAllowance }

    public init(flashBytes: Int, source: String) {
        self.flashBytes = flashBytes
        self.source = source
    }

    /// The largest flash among `catalogue`'s boards; `addressSpace` when none gives one.
    public static func largestFlash(in catalogue: BoardCatalogue) -> FirmwareFileLimit {
        var best: FirmwareFileLimit?
        for board in catalogue.boards {
            let candidate: FirmwareFileLimit?
            if let bytes = board.flash.flashSizeBytes {
                candidate = FirmwareFileLimit(flashBytes: bytes, source: "[flash] flash_size_kib of board \(board.id) in the catalogue (\(board.source))")
            } else {
                let layouts = (board.bootloader?.interfaces ?? []).compactMap(\.name).compactMap { try? DfuSeMemoryLayout.parse($0) }
                let bytes = layouts.reduce(0) { $0 + $1.regions.reduce(0) { $0 + Int($1.size) } }
                candidate = bytes > 0 ? FirmwareFileLimit(flashBytes: bytes, source: "the DfuSe memory layouts of board \(board.id) in the catalogue (\(board.source))") : nil
            }
            if let candidate, candidate.flashBytes > best?.flashBytes ?? 0 { best = candidate }
        }
        return best ?? addressSpace
    }

    /// `16.0 MiB (+ 64 KiB of headers), from ...`.
    public var description: String {
        "\(Self.size(fileBytes)) (the largest flash, \(Self.size(flashBytes)), from \(source), plus \(Self.size(Self.headerAllowance)) of headers)"
    }

    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
