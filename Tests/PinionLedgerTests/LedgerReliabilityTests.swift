import Crypto
import Foundation
import PinionFirmware
@testable import PinionLedger
import Testing

/// What the ledger does when the disk, the power or an intruder gets in its way (issue #13).
@Suite("Ledger reliability")
final class LedgerReliabilityTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-rel-\(UUID().uuidString)").path
    var path: String { directory + "/ledger.jsonl" }
    let key = FirmwareSigningKey.generate(name: "gateway")

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func receipt(_ index: Int, task: String? = nil) -> LedgerRecord {
        .receipt(ComputeReceipt(task: task ?? "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                board: "EMU-S-0001", startMs: 1_000 + Int64(index), endMs: 1_002 + Int64(index), microjoules: 350 + Int64(index)))
    }

    func writeLedger(_ count: Int) async throws {
        let ledger = try GatewayLedger(path: path, identity: key)
        try await ledger.append((0..<count).map { receipt($0) })
    }

    func lines() throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    // MARK: Disk full

    /// A real full disk: a 64 KiB tmpfs. A failed append leaves the file byte for byte as it
    /// was, and once there is space again the chain goes on from the last good entry.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs to fill needs root: this test of a full disk did not run"))
    func aFailedAppendOnAFullDiskLeavesTheFileAsItWas() async throws {
        let mountPoint = directory + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(ProcessMount.mount(size: "64k", at: mountPoint), "mount -t tmpfs -o size=64k failed although root")
        defer { ProcessMount.unmount(mountPoint) }
        let path = mountPoint + "/ledger.jsonl"
        let ledger = try GatewayLedger(path: path, identity: key)
        try await ledger.append((0..<10).map { receipt($0) })
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // Fill the rest of the file system, but for a few hundred bytes.
        let filler = mountPoint + "/filler"
        try #require(FileManager.default.createFile(atPath: filler, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: filler))
        while (try? handle.write(contentsOf: Data(count: 1024))) != nil {}
        try handle.close()
        // A batch of 20 receipts (about 15 KiB) does not fit.
        await #expect(throws: LedgerError.self) { try await ledger.append((10..<30).map { receipt($0) }) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file is exactly as before the failed append")
        await #expect(throws: LedgerError.self) { try await ledger.append((10..<30).map { receipt($0) }) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Space comes back: the same batch is written, continuing the chain.
        try FileManager.default.removeItem(atPath: filler)
        let written = try await ledger.append((10..<30).map { receipt($0) })
        #expect(written.first?.seq == 10)
        let summary = try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex)
        #expect(summary.entries == 30 && summary.lastSeq == 29)
    }

    /// While a ledger is open for writing, nothing else opens it: a second opener would take an
    /// entry being written for a torn line and cut it off.
    @Test func anOpenLedgerIsNotOpenedTwice() async throws {
        let ledger = try GatewayLedger(path: path, identity: key)
        try await ledger.append(receipt(0))
        #expect(throws: LedgerError.self) { try GatewayLedger(path: path, identity: key) }
        try await ledger.append(receipt(1))
        #expect(try LedgerVerifier.verify(path: path).entries == 2)
    }

    // MARK: Torn tail

    @Test func aTornFinalLineIsDroppedAtOpenAndKeptAside() async throws {
        try await writeLedger(5)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let torn = Data(try lines()[4].utf8.prefix(40))
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try file.seekToEnd()
        try file.write(contentsOf: torn)
        try file.close()
        let ledger = try GatewayLedger(path: path, identity: key)
        let dropped = try #require(ledger.droppedTail)
        #expect(dropped.bytes == torn.count && dropped.offset == UInt64(good.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dropped.keptIn)) == torn, "the dropped bytes are kept in a side file")
        #expect(try await ledger.append(receipt(5)).seq == 5)
        #expect(try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex).entries == 6)
    }

    @Test func anUnreadableFinalLineIsDroppedAtOpen() async throws {
        try await writeLedger(5)
        try (String(contentsOfFile: path, encoding: .utf8) + "{\"hash\":\"00\u{0}\u{0}\u{0}\n").write(toFile: path, atomically: false, encoding: .utf8)
        let ledger = try GatewayLedger(path: path, identity: key)
        #expect(ledger.droppedTail != nil)
        #expect(try await ledger.append(receipt(5)).seq == 5)
        #expect(try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex).entries == 6)
    }

    @Test func aDamagedLineBeforeTheLastIsRefused() async throws {
        try await writeLedger(5)
        var lines = try lines()
        lines[3] = String(lines[3].prefix(30))
        let damaged = lines.joined(separator: "\n") + "\n"
        try damaged.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: LedgerError.self) { try GatewayLedger(path: path, identity: key) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == damaged, "a refused ledger is not touched")
    }

    // MARK: The chain it continues

    @Test func aTamperedEntryNearTheEndIsRefused() async throws {
        try await writeLedger(6)
        var lines = try lines()
        lines[3] = lines[3].replacingOccurrences(of: "microjoules\\\":353", with: "microjoules\\\":1")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: LedgerError.self) { try GatewayLedger(path: path, identity: key) }
    }

    @Test func aTamperedEntryFarFromTheEndIsFoundInTheBackgroundAndStopsAppends() async throws {
        try await writeLedger(200)
        var lines = try lines()
        lines[10] = lines[10].replacingOccurrences(of: "microjoules\\\":360", with: "microjoules\\\":1")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        // A 4 KiB tail window holds the last few entries only: the open succeeds.
        let ledger = try GatewayLedger(path: path, identity: key, tailBytes: 4096)
        let verdict = await ledger.verifyWholeFile()
        guard case .failed(let error) = verdict else { Issue.record("the whole-file check passed a tampered ledger: \(verdict)"); return }
        #expect(error.entry == 10)
        await #expect(throws: LedgerError.self) { try await ledger.append(receipt(200)) }
        #expect(try self.lines().count == 200, "nothing is added to a chain that does not verify")
    }

    @Test func aLedgerSignedByAnotherKeyIsRefused() async throws {
        try await writeLedger(3)
        #expect(throws: LedgerError.self) { try GatewayLedger(path: path, identity: FirmwareSigningKey.generate(name: "new")) }
    }

    // MARK: Key rotation

    /// A rotation is signed by the old key; the entries after it by the new key, and only by it.
    @Test func aRotationHandsTheChainToTheNewKey() async throws {
        let newKey = FirmwareSigningKey.generate(name: "new")
        do {
            let ledger = try GatewayLedger(path: path, identity: key)
            try await ledger.append((0..<3).map { receipt($0) })
            let rotation = try await ledger.rotate(to: newKey)
            #expect(rotation.payload.contains("\"gateway\":\"\(key.publicKey.hex)\"") && rotation.payload.contains("\"newKey\":\"\(newKey.publicKey.hex)\""))
            try await ledger.append(receipt(3))
        }
        let summary = try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex)
        #expect(summary.entries == 5 && summary.rotations == 1 && summary.receipts == 4 && summary.gateway == newKey.publicKey.hex)
        // The ledger now belongs to the new key: the old one is refused, the new one continues it.
        #expect(throws: LedgerError.self) { try GatewayLedger(path: path, identity: key) }
        let continued = try GatewayLedger(path: path, identity: newKey)
        #expect(try await continued.append(receipt(4)).seq == 5)
        // What a broker has on the new key's topic starts with the rotation, signed by the old key.
        let entries = try LedgerVerifier.read(path: path)
        #expect(try LedgerVerifier.verify(Array(entries[3...]), gatewayKey: newKey.publicKey.hex, continuing: true).entries == 3)
    }

    @Test func anEntryAfterARotationSignedByTheOldKeyIsNamed() async throws {
        let newKey = FirmwareSigningKey.generate(name: "new")
        let oldSigned = directory + "/old.jsonl"
        do {
            let ledger = try GatewayLedger(path: path, identity: key)
            try await ledger.append((0..<2).map { receipt($0) })
            try await ledger.rotate(to: newKey)
            // The same chain position signed by the old key, as a thief of the old key would.
            try FileManager.default.copyItem(atPath: path, toPath: oldSigned)
            try await ledger.append(receipt(2))
        }
        // The entry at seq 3 signed by the old key, as a thief of the old key would write it.
        let rotation = try #require(try LedgerVerifier.read(path: oldSigned).last)
        let payload = LedgerEntry.Payload(seq: 3, prev: rotation.hash, kind: "receipt", timeMs: 1, gateway: key.publicKey.hex,
                                          body: LedgerEntry.Body(receipt: ComputeReceipt(task: "stolen", model: "digits", modelSHA256: "", inputSHA256: "",
                                                                                         outputSHA256: "", board: "X", startMs: 0, endMs: 1, microjoules: nil)))
        let signed = LedgerEntry.canonical(payload)
        let forged = LedgerEntry(payload: String(decoding: signed, as: UTF8.self), hash: LedgerEntry.hex(SHA256.hash(data: signed)),
                                 signature: Data(key.signature(for: signed)).base64EncodedString())
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: oldSigned))
        try file.seekToEnd()
        try file.write(contentsOf: forged.line + [0x0A])
        try file.close()
        #expect(throws: LedgerError(entry: 3, "signed as gateway \(key.publicKey.hex.prefix(16))…, the ledger is gateway \(newKey.publicKey.hex.prefix(16))…")) {
            try LedgerVerifier.verify(path: oldSigned)
        }
        #expect(try LedgerVerifier.verify(path: path).entries == 4)
    }

    // MARK: Entries of any size

    /// An entry longer than the tail window (a task id over 1 MiB) is found whole: the chain goes on.
    @Test func anEntryLongerThanTheTailWindowIsFound() async throws {
        do {
            let ledger = try GatewayLedger(path: path, identity: key)
            try await ledger.append(receipt(0))
            try await ledger.append(receipt(1, task: String(repeating: "x", count: (1 << 20) + 4096)))
        }
        let reopened = try GatewayLedger(path: path, identity: key)
        #expect(try await reopened.append(receipt(2)).seq == 2)
        #expect(try LedgerVerifier.verify(path: path, gatewayKey: key.publicKey.hex).entries == 3)
        #expect(reopened.recentReceiptTasks.contains("t0"))
    }
}

/// Mounting and unmounting a tmpfs for the disk-full test (needs root).
enum ProcessMount {
    static func mount(size: String, at point: String) -> Bool {
        run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point])
    }

    static func unmount(_ point: String) {
        _ = run("/bin/umount", [point])
    }

    private static func run(_ program: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
