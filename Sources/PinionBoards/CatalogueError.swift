/// A board descriptor that cannot be used, naming the file and the key: one line a person can act on,
/// e.g. `boards/foo.toml: usb.runtime.id: expected "vvvv:pppp" (4 hex digits each), got "18d1-9302"`.
public struct CatalogueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, as given to the loader.
    public var file: String
    /// Dotted key path (`usb.runtime.interfaces[1].endpoints[0].address`), or `line L, column C` for syntax errors; empty for the whole file.
    public var key: String
    public var message: String

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)"
    }
}
