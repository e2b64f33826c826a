import Crypto
import PinionModels

/// The models the controller can run: id → file bytes, with what placement needs to know.
public struct ModelCatalog: Sendable {
    public struct Entry: Sendable {
        public var id: String
        public var bytes: [UInt8]
        public var format: String
        /// Multiply-accumulates per inference.
        public var macs: Int
        public var inputCount: Int
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a `pinion-int8` model; throws `ModelError` if the bytes are not one.
    public mutating func add(id: String, bytes: [UInt8]) throws {
        let model = try Int8Model(bytes: bytes)
        entries[id] = Entry(id: id, bytes: bytes, format: Int8Model.formatName, macs: model.macs, inputCount: model.inputCount)
    }

    public subscript(id: String) -> Entry? { entries[id] }
}
