import Foundation

/// The Ed25519 public keys whose signatures Pinion accepts on firmware: one directory, one key per
/// file, the key named after its file.
///
/// Files read (others, and hidden files, are ignored, so a README may sit there):
/// - `NAME.pem`: PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `openssl pkey -pubout` or
///   `imgtool getpub --encoding pem` write it. Several blocks in one file are `NAME`, `NAME#2`, ….
/// - `NAME.hex`: the raw 32-byte key as 64 hex digits; whitespace and `#` comment lines are ignored.
///
/// A private key found there is an error: it must not be kept beside the trusted keys.
/// A value: load it once, share it freely.
public struct FirmwareTrustStore: Sendable, Hashable {
    /// The directory it was read from; nil for a store built in memory.
    public var directory: String?
    public var keys: [FirmwarePublicKey]

    public init(keys: [FirmwarePublicKey], directory: String? = nil) {
        self.keys = keys
        self.directory = directory
    }

    /// A store that trusts nothing.
    public static let empty = FirmwareTrustStore(keys: [])

    /// Reads every `.pem` and `.hex` file of `directory`, sorted by file name.
    /// Throws when the directory is missing or a key file cannot be used.
    public static func load(directory: String) throws(FirmwareKeyError) -> FirmwareTrustStore {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FirmwareKeyError(path: directory, problem: "the trust store directory does not exist; create it and add the vendors' public keys (.pem or .hex)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw FirmwareKeyError(path: directory, problem: "cannot list the trust store directory")
        }
        var keys: [FirmwarePublicKey] = []
        for file in names where !file.hasPrefix(".") && (file.hasSuffix(".pem") || file.hasSuffix(".hex")) {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw FirmwareKeyError(path: path, problem: "cannot read the key file as text")
            }
            let name = KeyFileName.stem(file)
            do throws(FirmwareKeyError) {
                if file.hasSuffix(".pem") {
                    let found = try FirmwarePublicKey.all(inPEM: text, name: name)
                    guard !found.isEmpty else { throw FirmwareKeyError(path: name, problem: "no \"BEGIN PUBLIC KEY\" block found") }
                    keys += found
                } else {
                    keys.append(try FirmwarePublicKey(hex: text, name: name))
                }
            } catch {
                throw FirmwareKeyError(path: path, problem: error.problem)
            }
        }
        return FirmwareTrustStore(keys: keys, directory: directory)
    }

    /// Writes `key` into `directory` as `NAME.pem` (mode 0644); refuses to replace a file.
    public static func add(_ key: FirmwarePublicKey, named name: String, to directory: String) throws(FirmwareKeyError) {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw FirmwareKeyError(path: name, problem: "a key name must be a plain file name (no '/', not starting with '.')")
        }
        let path = (directory as NSString).appendingPathComponent("\(name).pem")
        try KeyFileName.writeNew(path: path, contents: Array(key.pem.utf8), mode: 0o644)
    }

    /// Where the store came from, for messages.
    public var location: String { directory ?? "the built-in trust store" }
}
