import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An Ed25519 private key for `pinion firmware sign`, stored as PEM `PRIVATE KEY` (PKCS#8), the
/// file `openssl genpkey -algorithm ed25519` and `imgtool keygen -t ed25519` write and read.
public struct FirmwareSigningKey: Sendable {
    private let seed: [UInt8]
    /// The public half, named like the private key.
    public let publicKey: FirmwarePublicKey

    /// Throws when `seed` is not 32 bytes.
    public init(seed: [UInt8], name: String = "key") throws(FirmwareKeyError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw FirmwareKeyError(path: name, problem: "an Ed25519 private key is 32 bytes, got \(seed.count)")
        }
        self.seed = seed
        publicKey = try FirmwarePublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation), name: name)
    }

    /// A new random key.
    public static func generate(name: String = "key") -> FirmwareSigningKey {
        let key = Curve25519.Signing.PrivateKey()
        // A fresh key's raw representation is always 32 bytes.
        return try! FirmwareSigningKey(seed: Array(key.rawRepresentation), name: name)
    }

    /// Reads a PEM `PRIVATE KEY` (unencrypted PKCS#8 Ed25519).
    public init(pem: String, name: String) throws(FirmwareKeyError) {
        let blocks: [PEM.Block]
        switch PEM.blocks(in: pem) {
        case .success(let found): blocks = found
        case .failure(let problem): throw FirmwareKeyError(path: name, problem: problem.text)
        }
        if blocks.contains(where: { $0.label == "ENCRYPTED PRIVATE KEY" }) {
            throw FirmwareKeyError(path: name, problem: "the private key is password-protected; Pinion reads unencrypted keys only (openssl pkey -in KEY -out PLAIN)")
        }
        guard let block = blocks.first(where: { $0.label == "PRIVATE KEY" }) else {
            let found = blocks.map(\.label).joined(separator: ", ")
            throw FirmwareKeyError(path: name, problem: "no \"BEGIN PRIVATE KEY\" block found\(found.isEmpty ? "" : " (found \(found))")")
        }
        switch Ed25519DER.seed(fromPKCS8: block.der) {
        case .success(let seed): try self.init(seed: seed, name: name)
        case .failure(let problem): throw FirmwareKeyError(path: name, problem: problem.text)
        }
    }

    /// Reads a key file; its name (for messages) is the file name without extension.
    public static func load(path: String) throws(FirmwareKeyError) -> FirmwareSigningKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirmwareKeyError(path: path, problem: "cannot read the private key file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FirmwareKeyError(path: path, problem: "not a PEM text file")
        }
        do throws(FirmwareKeyError) {
            return try FirmwareSigningKey(pem: text, name: KeyFileName.stem(path))
        } catch {
            throw FirmwareKeyError(path: path, problem: error.problem)
        }
    }

    /// PEM `PRIVATE KEY` (PKCS#8 v1), byte for byte what `openssl genpkey -algorithm ed25519` writes.
    public var pem: String { PEM.encode(label: "PRIVATE KEY", der: Ed25519DER.privateKeyInfo(seed: seed)) }

    /// Writes `pem` to a new file with mode 0600; refuses to replace an existing file.
    public func write(toPath path: String) throws(FirmwareKeyError) {
        try KeyFileName.writeNew(path: path, contents: Array(pem.utf8), mode: 0o600)
    }

    /// The Ed25519 signature of `message` (RFC 8032; deterministic on Linux's BoringSSL).
    public func signature(for message: [UInt8]) -> [UInt8] {
        // The seed was checked in init, and Ed25519 signing does not fail.
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        return Array(try! key.signature(for: message))
    }
}

enum KeyFileName {
    /// `/etc/pinion/keys/vendor.pub.pem` → `vendor.pub`.
    static func stem(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { return file }
        return String(file[..<dot])
    }

    /// Creates `path` exclusively with `mode` and writes `contents`; never replaces a file.
    static func writeNew(path: String, contents: [UInt8], mode: mode_t) throws(FirmwareKeyError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            let reason = code == EEXIST ? "already exists; Pinion does not overwrite key files, move it away first"
                : "cannot create the file: \(String(cString: strerror(code)))"
            throw FirmwareKeyError(path: path, problem: reason)
        }
        defer { close(fd) }
        // umask can only clear bits; fchmod makes the mode exact whatever the umask.
        _ = fchmod(fd, mode)
        var written = 0
        while written < contents.count {
            let result = contents[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let code = errno
                unlink(path)
                throw FirmwareKeyError(path: path, problem: "cannot write the file: \(String(cString: strerror(code)))")
            }
            written += result
        }
    }
}
