import PinionBoards

extension FuzzTarget {
    /// A board file (boards/*.toml) as `BoardDescriptorLoader.load(path:)` reads it: UTF-8 text, then `parse`.
    static let boardCatalogue = FuzzTarget(name: "board-catalogue",
                                           summary: "BoardDescriptorLoader.parse (boards/*.toml)") { bytes in
        guard let text = bytes.utf8Text else { return }
        _ = try? BoardDescriptorLoader.parse(text, file: "boards/fuzz-board.toml")
    }
}
