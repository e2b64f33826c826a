import Crypto
import Foundation
import PinionController
import PinionFirmware
@testable import PinionLedger

extension FuzzTarget {
    /// Ledger lines, taken two ways.
    ///
    /// As a ledger file: `LedgerVerifier.verify(path:)` (`pinion ledger verify`), `LedgerVerifier.read`,
    /// `GatewayLedger` opening the file to continue it, and the broker reader's ordering of the entries.
    /// As payloads: each line becomes an entry with a correct hash and the gateway's signature, so
    /// that the chain check behind the hash and signature (payload JSON, key, seq, prev, kind) is
    /// fuzzed too; no fuzzer finds a SHA-256 preimage.
    static let ledgerLines = FuzzTarget(name: "ledger-lines",
                                        summary: "LedgerVerifier.verify(path:)/read/verify(entries), GatewayLedger(path:), LedgerEntry.seq") { bytes in
        LedgerFuzzing.check(file: bytes)
        LedgerFuzzing.check(payloads: bytes)
    }
}

enum LedgerFuzzing {
    static let key = try! FirmwareSigningKey(seed: [UInt8](repeating: 7, count: 32), name: "gateway")
    /// A folder of this process's own for the ledger file, removed when the process exits.
    static let directory: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-fuzz-\(getpid())").path
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: LedgerFuzzing.directory) }
        return directory
    }()
    static let path = directory + "/ledger.jsonl"

    static func check(file bytes: [UInt8]) {
        guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        _ = try? LedgerVerifier.verify(path: path)
        if let entries = try? LedgerVerifier.read(path: path) {
            _ = try? LedgerVerifier.verify(entries, continuing: true)
            _ = BrokerLedgerReader.ordered(entries)
        }
        _ = try? GatewayLedger(path: path, identity: key)
    }

    static func check(payloads bytes: [UInt8]) {
        let entries = bytes.split(separator: 0x0A).prefix(8).map { line in
            let payload = String(decoding: line, as: UTF8.self)
            let signed = Array(payload.utf8)
            return LedgerEntry(payload: payload, hash: LedgerEntry.hex(SHA256.hash(data: signed)),
                               signature: Data(key.signature(for: signed)).base64EncodedString())
        }
        _ = try? LedgerVerifier.verify(entries)
        _ = try? LedgerVerifier.verify(entries, gatewayKey: key.publicKey.hex, continuing: true)
        for entry in entries { _ = entry.seq }
    }
}
