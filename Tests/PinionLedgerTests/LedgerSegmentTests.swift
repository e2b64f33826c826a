import Crypto
import Foundation
import PinionFirmware
@testable import PinionLedger
import Testing

/// A bounded ledger (issue #14): the newest segment is closed with a signed checkpoint before it
/// passes its size, every stretch from a checkpoint verifies on its own, and a ledger from
/// before segments is the first segment.
@Suite("Ledger segments and checkpoints")
final class LedgerSegmentTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-seg-\(UUID().uuidString)").path
    var path: String { directory + "/ledger.jsonl" }
    var segments: LedgerSegments { LedgerSegments(activePath: path) }
    let key = FirmwareSigningKey.generate(name: "gateway")

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func receipt(_ index: Int) -> LedgerRecord {
        .receipt(ComputeReceipt(task: "t\(index)", model: "digits", modelSHA256: String(repeating: "a", count: 64),
                                inputSHA256: String(repeating: "b", count: 64), outputSHA256: String(repeating: "c", count: 64),
                                board: "EMU-S-0001", startMs: 1_000 + Int64(index), endMs: 1_002 + Int64(index), microjoules: 350 + Int64(index)))
    }

    /// Appends receipts `range` one at a time to a ledger with segments of at most `maxBytes`.
    func write(_ range: Range<Int>, maxBytes: UInt64? = 4096) async throws {
        let ledger = try GatewayLedger(path: path, identity: key, segmentMaxBytes: maxBytes)
        for index in range { try await ledger.append(receipt(index)) }
    }

    func size(_ file: String) -> UInt64 { (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0 }

    @Test func theLedgerIsClosedIntoSegmentsWithCheckpointsAndVerifiesAcrossThem() async throws {
        try await write(0..<30)
        let sealed = segments.sealed()
        #expect(sealed.count >= 5, "30 receipts of ~800 bytes in segments of 4 KiB")
        #expect(sealed.first?.firstSeq == 0)
        for segment in sealed { #expect(size(segment.path) <= 4096) }
        #expect(size(path) <= 4096)
        // A checkpoint at every boundary, signed, naming the last entry of the segment before it.
        #expect(segments.checkpoints() == sealed.dropFirst().map(\.firstSeq) + [try #require(LedgerSegments.firstSeq(of: path))])
        let second = sealed[1]
        let checkpoint = try LedgerCheckpoint.read(path: segments.checkpointPath(firstSeq: second.firstSeq)).verified(expectedKey: key.publicKey.hex, path: "cp")
        let lastOfFirst = try #require(try LedgerVerifier.read(path: sealed[0].path).last)
        #expect(checkpoint.seq == second.firstSeq - 1 && checkpoint.hash == lastOfFirst.hash && checkpoint.gateway == key.publicKey.hex)
        // The whole ledger, from the newest segment's path or from the directory.
        let whole = try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex)
        #expect(whole.summary.entries == 30 && whole.summary.firstSeq == 0 && whole.summary.lastSeq == 29)
        #expect(whole.segments == sealed.count + 1 && whole.fromCheckpoint == nil)
        #expect(try LedgerVerifier.verify(ledger: segments.directory).summary.entries == 30)
        // The chain continues after a restart, in the newest segment.
        try await write(30..<31)
        #expect(try LedgerVerifier.verify(ledger: path).summary.lastSeq == 30)
    }

    /// Without the segments before it, a segment verifies from its own checkpoint.
    @Test func aStretchVerifiesOnItsOwnFromItsCheckpoint() async throws {
        try await write(0..<30)
        let sealed = segments.sealed()
        try FileManager.default.removeItem(atPath: sealed[0].path)
        try FileManager.default.removeItem(atPath: sealed[1].path)
        let rest = try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex)
        #expect(rest.fromCheckpoint?.seq == sealed[2].firstSeq - 1)
        #expect(rest.summary.firstSeq == sealed[2].firstSeq && rest.summary.lastSeq == 29)
        // A checkpoint that does not name the entry before the next segment is named.
        let boundary = segments.checkpointPath(firstSeq: sealed[3].firstSeq)
        var altered = try LedgerCheckpoint.read(path: boundary)
        altered.checkpoint = altered.checkpoint.replacingOccurrences(of: "\"seq\":", with: "\"seq\":1")
        try altered.write(to: boundary)
        #expect(throws: LedgerError.self) { try LedgerVerifier.verify(ledger: path) }
        do { _ = try LedgerVerifier.verify(ledger: path) } catch { #expect(error.reason.contains("the checkpoint's signature does not verify"), "\(error)") }
        // A missing one too.
        try FileManager.default.removeItem(atPath: boundary)
        do { _ = try LedgerVerifier.verify(ledger: path) } catch { #expect(error.reason.contains("has no checkpoint"), "\(error)") }
    }

    /// A ledger written before segments existed is read as the first segment: closed whole, byte
    /// for byte, when it is full, and verified with the segments after it.
    @Test func anExistingSingleFileLedgerBecomesTheFirstSegmentWithoutLoss() async throws {
        try await write(0..<12, maxBytes: nil)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(before.count > 4096 && !FileManager.default.fileExists(atPath: segments.directory))
        try await write(12..<20)
        let first = try #require(segments.sealed().first)
        let closed = try Data(contentsOf: URL(fileURLWithPath: first.path))
        #expect(first.firstSeq == 0 && closed == before)
        let whole = try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex)
        #expect(whole.summary.entries == 20 && whole.summary.lastSeq == 19)
    }

    /// A crash after a segment was moved aside and before the next was created: the next start
    /// creates it, continues from the checkpoint, and knows the receipts just before it.
    @Test func aCrashBetweenClosingAndCreatingASegmentLosesNothing() async throws {
        try await write(0..<8)
        let newest = try #require(LedgerSegments.firstSeq(of: path))
        // The newest segment closed by hand as `GatewayLedger` closes one, and no new one made.
        let entries = try LedgerVerifier.read(path: path)
        try LedgerCheckpoint.make(seq: 7, hash: entries.last!.hash, timeMs: 1, key: key).write(to: segments.checkpointPath(firstSeq: 8))
        try FileManager.default.moveItem(atPath: path, toPath: segments.segmentPath(firstSeq: newest))
        let ledger = try GatewayLedger(path: path, identity: key, segmentMaxBytes: 4096)
        #expect(ledger.recentReceiptTasks.contains("t7"), "receipts at the end of the closed segment are known")
        #expect(ledger.tailAtOpen.last?.seq == 7)
        #expect(try GatewayLedger.lastSigner(path: path) == key.publicKey.hex)
        #expect(try await ledger.append(receipt(8)).seq == 8)
        if case .verified = await ledger.verifyWholeFile() {} else { Issue.record("the newest segment does not verify") }
        #expect(try LedgerVerifier.verify(ledger: path).summary.entries == 9)
    }

    /// A full disk when a segment must be closed and the next created: the append fails, nothing
    /// is lost or torn, and once there is space the same entries are written.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs to fill needs root: this test of a full disk did not run"))
    func aFullDiskWhenASegmentMustBeClosedLosesNothing() async throws {
        let mountPoint = directory + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(ProcessMount.mount(size: "64k", at: mountPoint), "mount -t tmpfs -o size=64k failed although root")
        defer { ProcessMount.unmount(mountPoint) }
        let path = mountPoint + "/ledger.jsonl"
        let ledger = try GatewayLedger(path: path, identity: key, segmentMaxBytes: 8192)
        for index in 0..<9 { try await ledger.append(receipt(index)) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let filler = mountPoint + "/filler"
        try #require(FileManager.default.createFile(atPath: filler, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: filler))
        while (try? handle.write(contentsOf: Data(count: 256))) != nil {}
        try handle.close()
        // 9 receipts are ~7.5 KiB: the next two need a new segment, on a full disk.
        await #expect(throws: LedgerError.self) { try await ledger.append([receipt(9), receipt(10)]) }
        await #expect(throws: LedgerError.self) { try await ledger.append([receipt(9), receipt(10)]) }
        let sealedNow = LedgerSegments(activePath: path).sealed()
        let stillThere = sealedNow.isEmpty ? try Data(contentsOf: URL(fileURLWithPath: path)) : try Data(contentsOf: URL(fileURLWithPath: sealedNow[0].path))
        #expect(stillThere == before, "the entries written are where they were, byte for byte")
        try FileManager.default.removeItem(atPath: filler)
        let written = try await ledger.append([receipt(9), receipt(10)])
        #expect(written.first?.seq == 9)
        let whole = try LedgerVerifier.verify(ledger: path, gatewayKey: key.publicKey.hex)
        #expect(whole.summary.entries == 11 && whole.summary.lastSeq == 10 && whole.segments == 2)
    }
}
