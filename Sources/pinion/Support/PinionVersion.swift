/// Pinion's own version, reported by `pinion version` and upstream.
enum PinionVersion {
    static let string = "0.1.0"
}
