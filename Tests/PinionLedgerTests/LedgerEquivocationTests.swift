import Crypto
import Foundation
import PinionFirmware
@testable import PinionLedger
import Testing

/// A gateway that signs two histories (equivocation) is named as such, not taken for entries
/// removed or reordered; the same entry delivered twice (QoS 1) is only counted (issue #14).
@Suite("Ledger equivocation and duplicate deliveries")
struct LedgerEquivocationTests {
    let key = FirmwareSigningKey.generate(name: "gateway")

    /// A receipt entry at `seq` after `prev`, signed by the gateway's key.
    func signed(seq: Int64, prev: String, task: String) -> LedgerEntry {
        let payload = LedgerEntry.Payload(seq: seq, prev: prev, kind: "receipt", timeMs: 1_000 + seq, gateway: key.publicKey.hex,
                                          body: LedgerEntry.Body(receipt: ComputeReceipt(task: task, model: "digits", modelSHA256: "", inputSHA256: "",
                                                                                         outputSHA256: "", board: "X", startMs: 0, endMs: 1, microjoules: nil)))
        let bytes = LedgerEntry.canonical(payload)
        return LedgerEntry(payload: String(decoding: bytes, as: UTF8.self), hash: LedgerEntry.hex(SHA256.hash(data: bytes)),
                           signature: Data(key.signature(for: bytes)).base64EncodedString())
    }

    /// seq 0…4, and a second, different entry at seq 3 that is as validly signed.
    func forked() -> (history: [LedgerEntry], other: LedgerEntry) {
        var history: [LedgerEntry] = []
        var prev = LedgerEntry.genesis
        for seq in 0..<5 {
            history.append(signed(seq: Int64(seq), prev: prev, task: "t\(seq)"))
            prev = history[seq].hash
        }
        return (history, signed(seq: 3, prev: history[2].hash, task: "forged"))
    }

    @Test func twoDifferentSignedEntriesAtOneSeqAreAnEquivocation() throws {
        let (history, other) = forked()
        let delivered = Array(history[..<4]) + [other, history[4]]
        let expected = LedgerError(entry: 4, "equivocation at seq 3: two different entries signed by \(key.publicKey.hex) "
                                   + "(hashes \(history[3].hash.prefix(16))… and \(other.hash.prefix(16))…): the gateway signed two histories")
        // As stored in a file.
        #expect(throws: expected) { try LedgerVerifier.verify(delivered) }
        // As a broker delivers it: in any order, the same entry more than once.
        // (`entry` counts in delivery order, the copy of seq 1 included.)
        #expect(throws: LedgerError(entry: 5, expected.reason)) {
            try LedgerVerifier.verifyDelivered([history[4], history[0], history[1], history[1], history[2], history[3], other])
        }
        // The other history received first: the one received second is named.
        do {
            _ = try LedgerVerifier.verifyDelivered([other] + history)
            Issue.record("an equivocation verified")
        } catch {
            #expect(error.reason.hasPrefix("equivocation at seq 3: two different entries signed by \(key.publicKey.hex) (hashes \(other.hash.prefix(16))… and"))
        }
    }

    @Test func theSameEntryDeliveredTwiceIsCountedNotRefused() throws {
        let (history, _) = forked()
        let summary = try LedgerVerifier.verifyDelivered(history + [history[1], history[3], history[3]], gatewayKey: key.publicKey.hex)
        #expect(summary.entries == 5 && summary.duplicates == 3 && summary.firstSeq == 0 && summary.lastSeq == 4)
        // In a file a line written twice is not a delivery: it is named.
        #expect(throws: LedgerError(entry: 2, "seq 1 is there twice (the same entry written again)")) {
            try LedgerVerifier.verify(Array(history[..<2]) + [history[1]] + Array(history[2...]))
        }
    }

    /// Two entries at one seq that the gateway did not both sign are not called an equivocation:
    /// the one that does not verify is named for what it is.
    @Test func aForgedSecondEntryAtOneSeqIsNotAnEquivocation() throws {
        let (history, other) = forked()
        var forged = other
        forged.signature = history[3].signature
        #expect(throws: LedgerError(entry: 4, "the signature does not verify with gateway key \(key.publicKey.hex.prefix(16))…")) {
            try LedgerVerifier.verifyDelivered(history + [forged])
        }
    }
}
