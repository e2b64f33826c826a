import Foundation

/// PEM armour (RFC 7468): `-----BEGIN LABEL-----`, base64, `-----END LABEL-----`.
enum PEM {
    struct Block {
        var label: String
        var der: [UInt8]
    }

    /// Every block in `text`, in order. Throws a problem string for a block that is not closed or not base64.
    static func blocks(in text: String) -> Result<[Block], PEMProblem> {
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                guard label == nil else { return .failure(PEMProblem("a BEGIN line inside the \(label!) block")) }
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), line.hasSuffix("-----") {
                let end = String(line.dropFirst(9).dropLast(5))
                guard let open = label, open == end else { return .failure(PEMProblem("END \(end) without a matching BEGIN")) }
                guard let data = Data(base64Encoded: body), !data.isEmpty else {
                    return .failure(PEMProblem("the \(open) block is not valid base64"))
                }
                blocks.append(Block(label: open, der: [UInt8](data)))
                label = nil
            } else if label != nil {
                body += line
            }
        }
        if let label { return .failure(PEMProblem("the \(label) block has no END line")) }
        return .success(blocks)
    }

    static func encode(label: String, der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

struct PEMProblem: Error {
    var text: String
    init(_ text: String) { self.text = text }
}

/// The few DER shapes of Ed25519 keys (RFC 8410): SubjectPublicKeyInfo and PKCS#8 PrivateKeyInfo.
enum Ed25519DER {
    /// id-Ed25519, 1.3.101.112.
    static let oid: [UInt8] = [0x2B, 0x65, 0x70]
    /// SEQUENCE { SEQUENCE { OID id-Ed25519 }, BIT STRING (0 unused bits) … 32 bytes }.
    static let publicKeyPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// SEQUENCE { INTEGER 0, SEQUENCE { OID id-Ed25519 }, OCTET STRING { OCTET STRING … 32 bytes } }, as openssl writes it.
    static let privateKeyPrefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70,
                                            0x04, 0x22, 0x04, 0x20]

    static func publicKeyInfo(_ raw: [UInt8]) -> [UInt8] { publicKeyPrefix + raw }
    static func privateKeyInfo(seed: [UInt8]) -> [UInt8] { privateKeyPrefix + seed }

    /// The 32 key bytes of an Ed25519 SubjectPublicKeyInfo.
    static func publicKey(fromSPKI der: [UInt8]) -> Result<[UInt8], PEMProblem> {
        do throws(PEMProblem) {
            var root = DER(der)
            var outer = try root.read(0x30, "SubjectPublicKeyInfo")
            var algorithm = try outer.read(0x30, "AlgorithmIdentifier")
            let oid = try algorithm.readBytes(0x06, "algorithm OID")
            guard oid == Ed25519DER.oid else { return .failure(PEMProblem(notEd25519(oid))) }
            let bits = try outer.readBytes(0x03, "subjectPublicKey")
            guard bits.count == 33, bits[0] == 0 else {
                return .failure(PEMProblem("the Ed25519 public key is \(max(0, bits.count - 1)) bytes, expected 32"))
            }
            return .success(Array(bits.dropFirst()))
        } catch {
            return .failure(error)
        }
    }

    /// The 32-byte seed of an Ed25519 PKCS#8 PrivateKeyInfo (v1, or v2 with the public key attached).
    static func seed(fromPKCS8 der: [UInt8]) -> Result<[UInt8], PEMProblem> {
        do throws(PEMProblem) {
            var root = DER(der)
            var outer = try root.read(0x30, "PrivateKeyInfo")
            let version = try outer.readBytes(0x02, "version")
            guard version == [0] || version == [1] else { return .failure(PEMProblem("PKCS#8 version \(version) is not 0 or 1")) }
            var algorithm = try outer.read(0x30, "AlgorithmIdentifier")
            let oid = try algorithm.readBytes(0x06, "algorithm OID")
            guard oid == Ed25519DER.oid else { return .failure(PEMProblem(notEd25519(oid))) }
            var wrapped = try outer.read(0x04, "privateKey")
            let seed = try wrapped.readBytes(0x04, "CurvePrivateKey")
            guard seed.count == 32 else { return .failure(PEMProblem("the Ed25519 private key is \(seed.count) bytes, expected 32")) }
            return .success(seed)
        } catch {
            return .failure(error)
        }
    }

    static func notEd25519(_ oid: [UInt8]) -> String {
        "not an Ed25519 key (algorithm \(dotted(oid))); Pinion's firmware keys are Ed25519"
    }

    /// Dotted form of an OID's content bytes, for messages.
    static func dotted(_ oid: [UInt8]) -> String {
        guard let first = oid.first else { return "(empty)" }
        var parts = [first < 80 ? "\(first / 40).\(first % 40)" : "2.\(Int(first) - 80)"]
        var value: UInt64 = 0
        for byte in oid.dropFirst() {
            guard value < 1 << 56 else { return "(unreadable)" }
            value = value << 7 | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 {
                parts.append(String(value))
                value = 0
            }
        }
        return parts.joined(separator: ".")
    }
}

/// A minimal DER reader: definite lengths up to 4 bytes, bounds checked.
struct DER {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    private init(_ bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }

    /// Reads a constructed element with `tag` and returns a reader over its contents.
    mutating func read(_ tag: UInt8, _ what: String) throws(PEMProblem) -> DER { DER(try readBytes(tag, what)[...]) }

    /// Reads an element with `tag` and returns its content bytes.
    mutating func readBytes(_ tag: UInt8, _ what: String) throws(PEMProblem) -> [UInt8] {
        guard offset < bytes.count else { throw PEMProblem("DER ends before \(what)") }
        guard bytes[offset] == tag else { throw PEMProblem("DER: \(what) has tag 0x\(Hex.padded(UInt64(bytes[offset]), 2)), expected 0x\(Hex.padded(UInt64(tag), 2))") }
        guard offset + 1 < bytes.count else { throw PEMProblem("DER ends inside \(what)") }
        var length = Int(bytes[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), start + count <= bytes.count else { throw PEMProblem("DER: bad length of \(what)") }
            length = 0
            for byte in bytes[start..<(start + count)] { length = length << 8 | Int(byte) }
            start += count
        }
        guard length <= bytes.count - start else { throw PEMProblem("DER: \(what) runs past the end") }
        offset = start + length
        return Array(bytes[start..<(start + length)])
    }
}
