import Crypto

/// An Ed25519 public key that firmware may be signed with, named for messages (the trust store
/// names keys after their files).
public struct FirmwarePublicKey: Sendable, Hashable {
    /// The 32 key bytes (RFC 8032).
    public let rawRepresentation: [UInt8]
    /// A short name for messages and `inspect`, e.g. the file name without its extension.
    public var name: String

    /// Throws when `raw` is not 32 bytes or not a valid curve point.
    public init(rawRepresentation raw: [UInt8], name: String) throws(FirmwareKeyError) {
        guard raw.count == 32 else {
            throw FirmwareKeyError(path: name, problem: "an Ed25519 public key is 32 bytes, got \(raw.count)")
        }
        do {
            _ = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw FirmwareKeyError(path: name, problem: "not a valid Ed25519 public key")
        }
        rawRepresentation = raw
        self.name = name
    }

    /// Reads the first `PUBLIC KEY` block of a PEM text (SubjectPublicKeyInfo, as `openssl pkey -pubout`
    /// and `imgtool getpub --encoding pem` write it).
    public init(pem: String, name: String) throws(FirmwareKeyError) {
        let keys = try FirmwarePublicKey.all(inPEM: pem, name: name)
        guard let first = keys.first else {
            throw FirmwareKeyError(path: name, problem: "no \"BEGIN PUBLIC KEY\" block found")
        }
        self = first
    }

    /// Reads 64 hex digits (the raw key), ignoring whitespace and `#` comment lines.
    public init(hex: String, name: String) throws(FirmwareKeyError) {
        let digits = hex.split(whereSeparator: \.isNewline)
            .filter { !$0.trimmingPrefix(while: \.isWhitespace).hasPrefix("#") }
            .joined().filter { !$0.isWhitespace }
        guard let raw = Hex.decode(digits), raw.count == 32 else {
            throw FirmwareKeyError(path: name, problem: "expected 64 hex digits (a raw 32-byte Ed25519 public key), found \(digits.count) characters")
        }
        try self.init(rawRepresentation: raw, name: name)
    }

    /// Every `PUBLIC KEY` block of a PEM text; a private key there is an error (it must not sit in a trust store).
    static func all(inPEM pem: String, name: String) throws(FirmwareKeyError) -> [FirmwarePublicKey] {
        let blocks: [PEM.Block]
        switch PEM.blocks(in: pem) {
        case .success(let found): blocks = found
        case .failure(let problem): throw FirmwareKeyError(path: name, problem: problem.text)
        }
        var keys: [FirmwarePublicKey] = []
        for block in blocks {
            switch block.label {
            case "PUBLIC KEY":
                switch Ed25519DER.publicKey(fromSPKI: block.der) {
                case .success(let raw):
                    let keyName = keys.isEmpty ? name : "\(name)#\(keys.count + 1)"
                    keys.append(try FirmwarePublicKey(rawRepresentation: raw, name: keyName))
                case .failure(let problem):
                    throw FirmwareKeyError(path: name, problem: problem.text)
                }
            case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
                throw FirmwareKeyError(path: name, problem: "holds a private key: a trust store holds public keys only; keep the private key elsewhere and store its public half (openssl pkey -pubout)")
            default:
                throw FirmwareKeyError(path: name, problem: "holds a \"\(block.label)\" block, expected \"PUBLIC KEY\"")
            }
        }
        return keys
    }

    /// DER SubjectPublicKeyInfo (44 bytes), as MCUboot embeds the key and imgtool's PUBKEY TLV carries it.
    public var subjectPublicKeyInfo: [UInt8] { Ed25519DER.publicKeyInfo(rawRepresentation) }

    /// PEM `PUBLIC KEY`, byte for byte what `openssl pkey -pubout` writes.
    public var pem: String { PEM.encode(label: "PUBLIC KEY", der: subjectPublicKeyInfo) }

    /// The 64 hex digits of the raw key.
    public var hex: String { Hex.bytes(rawRepresentation) }

    /// MCUboot's KEYHASH: SHA-256 of the SubjectPublicKeyInfo (imgtool default).
    public var keyHash: [UInt8] { Array(SHA256.hash(data: subjectPublicKeyInfo)) }

    /// The KEYHASH with the digest an image uses: SHA-256, -384 or -512 by its length.
    func keyHash(length: Int) -> [UInt8]? {
        switch length {
        case 32: Array(SHA256.hash(data: subjectPublicKeyInfo))
        case 48: Array(SHA384.hash(data: subjectPublicKeyInfo))
        case 64: Array(SHA512.hash(data: subjectPublicKeyInfo))
        default: nil
        }
    }

    /// True when `signature` is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
