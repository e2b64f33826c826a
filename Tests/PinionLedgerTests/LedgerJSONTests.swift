import Foundation
@testable import PinionLedger
import Testing

/// `LedgerJSON`, the ledger's fast canonical JSON, writes and reads exactly what Foundation's
/// coder does (the ledger format is unchanged), and leaves to Foundation what it does not handle.
@Suite("Ledger JSON fast path")
struct LedgerJSONTests {
    static let strings = ["EMU-S-0001", "t1", "", "a/b", "quote\"in", "back\\slash", "\\\"", "tab\there", "new\nline", "nul\u{0}x",
                          "del\u{7F}", "é", "日本", "line\u{2028}sep", "emoji😀", "</script>", "{\"json\":1}", "%02x", " spaced "]
    static let integers: [Int64] = [0, 1, -1, 9, 10, 1_700_000_000_000, Int64.max, Int64.min, -1_234_567]

    static func foundationCanonical<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(value))
    }

    static func payloads() -> [LedgerEntry.Payload] {
        var payloads: [LedgerEntry.Payload] = []
        for (index, text) in strings.enumerated() {
            let integer = integers[index % integers.count]
            let receipt = ComputeReceipt(task: text, model: "digits", modelSHA256: String(repeating: "a", count: 64), inputSHA256: text,
                                         outputSHA256: String(repeating: "c", count: 64), board: text, startMs: integer, endMs: -(integer / 2),
                                         microjoules: index % 3 == 0 ? nil : integer)
            payloads.append(LedgerEntry.Payload(seq: Int64(index), prev: LedgerEntry.genesis, kind: "receipt", timeMs: integer, gateway: text,
                                                body: LedgerEntry.Body(receipt: receipt)))
            payloads.append(LedgerEntry.Payload(seq: integer, prev: text, kind: "rotation", timeMs: 5, gateway: "k",
                                                body: LedgerEntry.Body(rotation: KeyRotation(newKey: text))))
            payloads.append(LedgerEntry.Payload(seq: 3, prev: "p", kind: text, timeMs: 5, gateway: "k",
                                                body: LedgerEntry.Body(energy: EnergyReport(fromMs: 0, toMs: integer, boards: [text: 1, "B": 2, "a10": 3, "a9": 4],
                                                                                            idle: [:], gapMs: ["rail": 7]))))
        }
        return payloads
    }

    @Test func payloadsAreTheBytesJSONEncoderWrites() {
        var fast = 0
        for payload in Self.payloads() {
            #expect(LedgerEntry.signedBytes(payload) == Self.foundationCanonical(payload), "\(payload)")
            if LedgerJSON.encode(payload) != nil { fast += 1 }
        }
        #expect(fast > 20, "receipts and rotations of printable ASCII take the fast path")
    }

    @Test func entryLinesAreTheBytesJSONEncoderWrites() {
        for (index, text) in Self.strings.enumerated() {
            let payload = String(decoding: LedgerEntry.signedBytes(Self.payloads()[index * 3]), as: UTF8.self)
            for entry in [LedgerEntry(payload: payload, hash: text, signature: "c2lnbmF0dXJl+/=="), LedgerEntry(payload: text, hash: "h", signature: text)] {
                #expect(entry.line == Self.foundationCanonical(entry), "\(entry)")
            }
        }
    }

    @Test func canonicalPayloadsDecodeAsJSONDecoderDecodesThem() throws {
        for payload in Self.payloads() {
            let bytes = Self.foundationCanonical(payload)
            let decoded = bytes.withUnsafeBufferPointer(LedgerJSON.decodePayload)
            if payload.body.energy == nil, payload.kind.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
               LedgerJSON.encode(payload) != nil {
                #expect(decoded == payload)
            }
            if let decoded { #expect(decoded == (try JSONDecoder().decode(LedgerEntry.Payload.self, from: Data(bytes)))) }
        }
    }

    @Test func entryLinesDecodeAsJSONDecoderDecodesThem() throws {
        for (index, text) in Self.strings.enumerated() {
            let payload = String(decoding: LedgerEntry.signedBytes(Self.payloads()[index * 3]), as: UTF8.self)
            let entry = LedgerEntry(payload: payload, hash: text, signature: "c2ln/+==")
            let line = Self.foundationCanonical(entry)
            let decoded = line.withUnsafeBufferPointer(LedgerJSON.decodeEntry)
            if let decoded { #expect(decoded == entry) }
            if LedgerJSON.encode(entry) != nil { #expect(decoded == entry, "a line the fast path writes, it reads") }
        }
    }

    /// What is not in the writer's shape is left to `JSONDecoder` (nil here), whatever it is.
    @Test func anythingButTheCanonicalShapeIsLeftToJSONDecoder() {
        let lines = [#"{"hash":"h","payload":"p","signature":"s"} x"#, #"{ "hash":"h","payload":"p","signature":"s"}"#,
                     #"{"payload":"p","hash":"h","signature":"s"}"#, #"{"hash":"h","payload":"\u0070","signature":"s"}"#,
                     #"{"hash":"h","payload":"p\n","signature":"s"}"#, #"{"hash":"h","payload":"p","signature":"s""#,
                     #"{"hash":"h","payload":"p","signature":"s","extra":1}"#, #"{"hash":"h","payload":"p","signature":5}"#, ""]
        for line in lines {
            #expect(Array(line.utf8).withUnsafeBufferPointer(LedgerJSON.decodeEntry) == nil, "\(line)")
        }
        let receipt = #"{"body":{"receipt":{"board":"b","endMs":2,"inputSHA256":"i","model":"m","modelSHA256":"s","outputSHA256":"o","startMs":1,"task":"t"}},"#
        let payloads = [receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":01,"timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":1.0,"timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":1e2,"timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":-0,"timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":9223372036854775808,"timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":"1","timeMs":5}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":1,"timeMs":5,"more":0}"#,
                        receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":1}"#,
                        #"{"body":{"energy":{}},"gateway":"g","kind":"energy","prev":"p","seq":1,"timeMs":5}"#]
        for payload in payloads {
            #expect(Array(payload.utf8).withUnsafeBufferPointer(LedgerJSON.decodePayload) == nil, "\(payload)")
        }
        let good = receipt + #""gateway":"g","kind":"receipt","prev":"p","seq":-9223372036854775808,"timeMs":9223372036854775807}"#
        #expect(Array(good.utf8).withUnsafeBufferPointer(LedgerJSON.decodePayload)?.seq == Int64.min)
    }

    @Test func hexIsLowerCaseAndComparesByteForByte() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa5, 0xff, 0x10]
        #expect(LedgerJSON.hex(bytes) == "000fa5ff10")
        #expect(LedgerJSON.isHex("000fa5ff10", of: bytes))
        #expect(!LedgerJSON.isHex("000FA5FF10", of: bytes))
        #expect(!LedgerJSON.isHex("000fa5ff1", of: bytes))
        #expect(!LedgerJSON.isHex("000fa5ff100", of: bytes))
    }
}
