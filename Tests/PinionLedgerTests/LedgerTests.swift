import Crypto
import Foundation
import PinionFirmware
import PinionLedger
import Testing

@Suite("Signed hash-chained ledger")
struct LedgerTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString).jsonl").path
    let key = FirmwareSigningKey.generate(name: "gateway")

    func receipt(_ index: Int) -> LedgerRecord {
        .receipt(ComputeReceipt(task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                board: "EMU-S-0001", startMs: 1_000 + Int64(index), endMs: 1_002 + Int64(index), microjoules: 350 + Int64(index)))
    }

    func written(_ count: Int) async throws -> [LedgerEntry] {
        let ledger = try GatewayLedger(path: path, identity: key)
        for index in 0..<count {
            if index == 2 {
                try await ledger.append(.energy(EnergyReport(fromMs: 0, toMs: 60_000, boards: ["EMU-S-0001": 36_000_000], idle: ["EMU-S-0001": 35_000_000],
                                                             gapMs: [:])))
            } else {
                try await ledger.append(receipt(index))
            }
        }
        return try LedgerVerifier.read(path: path)
    }

    @Test func aWrittenLedgerVerifiesAndContinuesAfterReopening() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await written(4)
        let reopened = try GatewayLedger(path: path, identity: key)
        try await reopened.append(receipt(9))
        let entries = try LedgerVerifier.read(path: path)
        let summary = try LedgerVerifier.verify(entries, gatewayKey: key.publicKey.hex)
        #expect(summary.entries == 5 && summary.receipts == 4 && summary.energyReports == 1)
        #expect(summary.gateway == key.publicKey.hex)
        #expect(entries[0].payload.hasPrefix("{\"body\":{\"receipt\":{\"board\":\"EMU-S-0001\""), "canonical: sorted keys, no spaces")
        #expect(entries[4].payload.contains("\"seq\":4"))
    }

    @Test func aGroupCommitChainsLikeSingleAppends() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = try GatewayLedger(path: path, identity: key)
        try await ledger.append(receipt(0))
        let group = try await ledger.append((1...50).map(receipt))
        try await ledger.append(receipt(51))
        #expect(group.map(\.seq) == (1...50).map { Optional(Int64($0)) })
        let entries = try LedgerVerifier.read(path: path)
        #expect(try LedgerVerifier.verify(entries, gatewayKey: key.publicKey.hex).receipts == 52)
        #expect(try await ledger.append([LedgerRecord]()).isEmpty)
    }

    @Test func anAlteredPayloadIsNamed() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        var entries = try await written(5)
        entries[3].payload = entries[3].payload.replacingOccurrences(of: "\"microjoules\":353", with: "\"microjoules\":9353")
        #expect(throws: LedgerError(entry: 3, "its payload does not hash to its hash (the entry was altered)")) {
            try LedgerVerifier.verify(entries)
        }
        // Rehashing the altered payload does not help: the signature no longer verifies.
        entries[3].hash = SHA256.hash(data: Data(entries[3].payload.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(throws: LedgerError(entry: 3, "the signature does not verify with gateway key \(key.publicKey.hex.prefix(16))…")) {
            try LedgerVerifier.verify(entries)
        }
    }

    @Test func removedAndReorderedEntriesAreNamed() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let entries = try await written(5)
        var removed = entries
        removed.remove(at: 2)
        #expect(throws: LedgerError(entry: 2, "seq 3 follows seq 1 (entries removed or reordered)")) { try LedgerVerifier.verify(removed) }
        var reordered = entries
        reordered.swapAt(1, 2)
        #expect(throws: LedgerError(entry: 1, "seq 2 follows seq 0 (entries removed or reordered)")) { try LedgerVerifier.verify(reordered) }
        var headless = entries
        headless.removeFirst()
        #expect(throws: LedgerError(entry: 0, "its prev hash is not the hash of the entry before it (entries removed, inserted or reordered)")) {
            try LedgerVerifier.verify(headless)
        }
    }

    /// What a broker delivers is a stretch of the ledger: it starts anywhere, but from there on
    /// every link is checked.
    @Test func aStretchFromTheMiddleVerifiesAndItsGapsAreNamed() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let entries = try await written(8)
        let stretch = Array(entries[3...])
        #expect(throws: LedgerError.self) { try LedgerVerifier.verify(stretch) }
        let summary = try LedgerVerifier.verify(stretch, continuing: true)
        #expect(summary.entries == 5 && summary.firstSeq == 3 && summary.lastSeq == 7)
        var gap = stretch
        gap.remove(at: 2)
        #expect(throws: LedgerError(entry: 2, "seq 6 follows seq 4 (entries removed or reordered)")) { try LedgerVerifier.verify(gap, continuing: true) }
    }

    /// The file is checked as it is read, a line at a time, with the same verdicts.
    @Test func aFileIsCheckedLineByLineLikeItsEntries() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let entries = try await written(6)
        #expect(try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex) == LedgerVerifier.verify(entries, gatewayKey: key.publicKey.hex))
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let original = lines[4]
        lines[4] = original.replacingOccurrences(of: "microjoules\\\":354", with: "microjoules\\\":1")   // inside the escaped payload
        #expect(lines[4] != original)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError(entry: 4, "its payload does not hash to its hash (the entry was altered)")) {
            try LedgerVerifier.verify(path: path)
        }
        lines[4] = "not json"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LedgerError(entry: 4, "line 5 of \(path) is not a ledger entry")) { try LedgerVerifier.verify(path: path) }
        #expect(throws: LedgerError(entry: nil, "cannot read /nonexistent/ledger.jsonl")) { try LedgerVerifier.verify(path: "/nonexistent/ledger.jsonl") }
    }

    @Test func theWrongKeyIsNamed() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let entries = try await written(3)
        let other = FirmwareSigningKey.generate(name: "other").publicKey.hex
        #expect(throws: LedgerError(entry: 0, "signed as gateway \(key.publicKey.hex.prefix(16))…, the ledger is gateway \(other.prefix(16))…")) {
            try LedgerVerifier.verify(entries, gatewayKey: other)
        }
        // An entry signed by another gateway in the middle of this one's ledger.
        let foreignPath = path + ".other"
        defer { try? FileManager.default.removeItem(atPath: foreignPath) }
        let foreign = try GatewayLedger(path: foreignPath, identity: FirmwareSigningKey.generate(name: "intruder"))
        let intruder = try await foreign.append(receipt(7))
        var mixed = entries
        mixed[1] = intruder
        #expect(throws: LedgerError.self) { try LedgerVerifier.verify(mixed) }
        do {
            _ = try LedgerVerifier.verify(mixed)
        } catch {
            #expect(error.entry == 1)
        }
    }
}
