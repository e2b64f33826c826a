import Foundation

/// The ledger's JSON at the speed of its hot paths: canonical encoding of receipt and rotation
/// payloads and of entry lines, and decoding of them, byte for byte what `JSONEncoder` (sorted
/// keys, slashes unescaped) writes and what `JSONDecoder` reads. Only the plain shape the writer
/// produces is handled here (printable ASCII strings, integers, the fields in canonical order);
/// anything else returns nil and the caller uses Foundation's coder, so every other input, valid or
/// not, is read exactly as before.
enum LedgerJSON {
    // MARK: Encoding

    /// `payload` as canonical JSON, or nil when it is not a receipt or rotation of printable
    /// ASCII strings (an energy report's maps: `JSONEncoder` sorts those).
    static func encode(_ payload: LedgerEntry.Payload) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(640)
        out += #"{"body":{"#.utf8
        if let receipt = payload.body.receipt, payload.body.energy == nil, payload.body.rotation == nil {
            out += #""receipt":{"board":"#.utf8
            guard string(receipt.board, &out) else { return nil }
            out += #","endMs":"#.utf8
            integer(receipt.endMs, &out)
            out += #","inputSHA256":"#.utf8
            guard string(receipt.inputSHA256, &out) else { return nil }
            if let microjoules = receipt.microjoules {
                out += #","microjoules":"#.utf8
                integer(microjoules, &out)
            }
            out += #","model":"#.utf8
            guard string(receipt.model, &out) else { return nil }
            out += #","modelSHA256":"#.utf8
            guard string(receipt.modelSHA256, &out) else { return nil }
            out += #","outputSHA256":"#.utf8
            guard string(receipt.outputSHA256, &out) else { return nil }
            out += #","startMs":"#.utf8
            integer(receipt.startMs, &out)
            out += #","task":"#.utf8
            guard string(receipt.task, &out) else { return nil }
        } else if let rotation = payload.body.rotation, payload.body.energy == nil, payload.body.receipt == nil {
            out += #""rotation":{"newKey":"#.utf8
            guard string(rotation.newKey, &out) else { return nil }
        } else {
            return nil
        }
        out += #"}},"gateway":"#.utf8
        guard string(payload.gateway, &out) else { return nil }
        out += #","kind":"#.utf8
        guard string(payload.kind, &out) else { return nil }
        out += #","prev":"#.utf8
        guard string(payload.prev, &out) else { return nil }
        out += #","seq":"#.utf8
        integer(payload.seq, &out)
        out += #","timeMs":"#.utf8
        integer(payload.timeMs, &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `entry` as its canonical JSON line (without the newline), or nil when a field holds
    /// anything but printable ASCII.
    static func encode(_ entry: LedgerEntry) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(entry.payload.utf8.count + entry.signature.utf8.count + 140)
        out += #"{"hash":"#.utf8
        guard string(entry.hash, &out) else { return nil }
        out += #","payload":"#.utf8
        guard string(entry.payload, &out) else { return nil }
        out += #","signature":"#.utf8
        guard string(entry.signature, &out) else { return nil }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Appends `text` as a JSON string; false (nothing meaningful appended) if it holds a byte
    /// outside printable ASCII, whose escaping is left to `JSONEncoder`.
    private static func string(_ text: String, _ out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            guard byte >= 0x20, byte < 0x7F else { return false }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
        return true
    }

    private static func integer(_ value: Int64, _ out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    // MARK: Decoding

    /// The entry in `line` (one line of a ledger file, without its newline) if it is in the
    /// canonical shape; nil otherwise (for `JSONDecoder` to read, or reject, as it always has).
    static func decodeEntry(_ line: UnsafeBufferPointer<UInt8>) -> LedgerEntry? {
        var reader = Reader(bytes: line)
        guard reader.literal(#"{"hash":"#), let hash = reader.string(),
              reader.literal(#","payload":"#), let payload = reader.string(),
              reader.literal(#","signature":"#), let signature = reader.string(),
              reader.literal("}"), reader.atEnd else { return nil }
        return LedgerEntry(payload: payload, hash: hash, signature: signature)
    }

    /// The payload in `bytes` if it is a receipt or rotation in the canonical shape; nil
    /// otherwise (for `JSONDecoder`).
    static func decodePayload(_ bytes: UnsafeBufferPointer<UInt8>) -> LedgerEntry.Payload? {
        var reader = Reader(bytes: bytes)
        guard reader.literal(#"{"body":{"#) else { return nil }
        var body = LedgerEntry.Body()
        if reader.literal(#""receipt":{"board":"#) {
            guard let board = reader.string(), reader.literal(#","endMs":"#), let endMs = reader.integer(),
                  reader.literal(#","inputSHA256":"#), let input = reader.string() else { return nil }
            var microjoules: Int64?
            if reader.literal(#","microjoules":"#) {
                guard let value = reader.integer() else { return nil }
                microjoules = value
            }
            guard reader.literal(#","model":"#), let model = reader.string(),
                  reader.literal(#","modelSHA256":"#), let modelSHA256 = reader.string(),
                  reader.literal(#","outputSHA256":"#), let output = reader.string(),
                  reader.literal(#","startMs":"#), let startMs = reader.integer(),
                  reader.literal(#","task":"#), let task = reader.string() else { return nil }
            body.receipt = ComputeReceipt(task: task, model: model, modelSHA256: modelSHA256, inputSHA256: input, outputSHA256: output,
                                          board: board, startMs: startMs, endMs: endMs, microjoules: microjoules)
        } else if reader.literal(#""rotation":{"newKey":"#) {
            guard let newKey = reader.string() else { return nil }
            body.rotation = KeyRotation(newKey: newKey)
        } else {
            return nil
        }
        guard reader.literal(#"}},"gateway":"#), let gateway = reader.string(),
              reader.literal(#","kind":"#), let kind = reader.string(),
              reader.literal(#","prev":"#), let prev = reader.string(),
              reader.literal(#","seq":"#), let seq = reader.integer(),
              reader.literal(#","timeMs":"#), let timeMs = reader.integer(),
              reader.literal("}"), reader.atEnd else { return nil }
        return LedgerEntry.Payload(seq: seq, prev: prev, kind: kind, timeMs: timeMs, gateway: gateway, body: body)
    }

    /// The payload of `text`, by `decodePayload` where it can.
    static func decodePayload(_ text: String) -> LedgerEntry.Payload? {
        var text = text
        return text.withUTF8 { decodePayload($0) }
    }

    /// A cursor over canonical JSON that accepts only what `JSONDecoder` reads the same way.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count, memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else { return false }
            index += count
            return true
        }

        /// A string of printable ASCII whose only escapes are `\"`, `\\` and `\/`.
        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            var escapes = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { break }
                guard byte >= 0x20, byte < 0x7F else { return nil }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    guard escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") || escaped == UInt8(ascii: "/") else { return nil }
                    escapes = true
                }
                index += 1
            }
            guard index < bytes.count else { return nil }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            guard escapes else { return String(decoding: raw, as: UTF8.self) }
            var unescaped: [UInt8] = []
            unescaped.reserveCapacity(raw.count)
            var position = 0
            while position < raw.count {
                if raw[position] == UInt8(ascii: "\\") { position += 1 }
                unescaped.append(raw[position])
                position += 1
            }
            return String(decoding: unescaped, as: UTF8.self)
        }

        /// A JSON integer (no fraction, exponent or leading zero) that fits an Int64.
        mutating func integer() -> Int64? {
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let start = index
            var magnitude: UInt64 = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                magnitude = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            // A fraction or exponent follows: left to JSONDecoder.
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { return nil }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1, magnitude > 0 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
    }

    // MARK: Hex

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `text` is the lower-case hex of `bytes` (what `hex(bytes) == text` says, without
    /// making the string).
    static func isHex(_ text: String, of bytes: some Sequence<UInt8>) -> Bool {
        var utf8 = text.utf8.makeIterator()
        for byte in bytes {
            guard utf8.next() == hexDigits[Int(byte >> 4)], utf8.next() == hexDigits[Int(byte & 0x0F)] else { return false }
        }
        return utf8.next() == nil
    }
}
