import Foundation
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionModels
import PinionUSB
import Testing

/// The host's board link against the emulated NPU boards of the simulated gateway: the real
/// protocol code on both sides, over the emulated USB host's bulk endpoints.
@Suite("Board link with emulated NPU boards")
struct EmulatedBoardLinkTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let gateway: SimulatedGateway

    init() throws {
        gateway = SimulatedGateway(catalogue: try BoardCatalogue.load(directories: [Self.root.appendingPathComponent("boards").path]))
    }

    func connect(_ serial: String) throws -> BoardConnection {
        let info = try #require(try gateway.usb.devices(readStrings: true).first { $0.strings?.serialNumber == serial })
        return try BoardConnection(device: try gateway.usb.open(info.location), defaultTimeout: .seconds(5))
    }

    @Test func helloLoadAndClassifyTheTestSplitBitExact() async throws {
        let link = try connect("EMU-S-0001")
        defer { link.close(); gateway.shutdown() }
        let info = try await link.hello()
        #expect(info.serial == "EMU-S-0001")
        #expect(info.modelFormats == ["pinion-int8"])
        #expect(info.memoryBytes == 64 << 20)
        #expect(info.loadedModels.isEmpty)

        let modelBytes = try DigitsDataset.modelBytes()
        try await link.loadModel(id: "digits", bytes: modelBytes, chunkSize: 1000)
        #expect(try await link.hello().loadedModels == ["digits"])

        let model = try Int8Model(bytes: modelBytes)
        let images = try DigitsDataset.testSplit().map { ($0.input.map { UInt8(bitPattern: $0) }, $0.label) }
        // Up to 16 in flight, as the board allows.
        let outputs = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var results = [[UInt8]](repeating: [], count: images.count)
            var next = 0
            for _ in 0..<16 where next < images.count {
                let index = next; next += 1
                group.addTask { (index, try await link.infer(modelID: "digits", input: images[index].0).output) }
            }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < images.count {
                    let index = next; next += 1
                    group.addTask { (index, try await link.infer(modelID: "digits", input: images[index].0).output) }
                }
            }
            return results
        }
        var correct = 0
        for (image, output) in zip(images, outputs) {
            let reference = try Int8Interpreter.run(model, input: image.0.map { Int8(bitPattern: $0) })
            #expect(output == reference.map { UInt8(bitPattern: $0) })
            if Int8Interpreter.argmax(reference) == image.1 { correct += 1 }
        }
        #expect(correct == 527)
        #expect(gateway.boards.first { $0.serial == "EMU-S-0001" }?.npu?.inferences == 540)
    }

    @Test func boardErrorsAreTypedAndTheLinkCarriesOn() async throws {
        let link = try connect("EMU-L-0001")
        defer { link.close(); gateway.shutdown() }
        await #expect(throws: BoardLinkError.board(.unknownModel, "no model 'nope' loaded")) {
            try await link.infer(modelID: "nope", input: [1, 2, 3])
        }
        // A model whose bytes do not match the digest announced.
        let bytes = try DigitsDataset.modelBytes()
        _ = try await link.request(.loadModel(modelID: "bad", size: UInt32(bytes.count), sha256: Array(repeating: 0, count: 32)))
        await #expect(throws: BoardLinkError.self) {
            try await link.request(.modelChunk(modelID: "bad", offset: 0, bytes: bytes))
        }
        // Too big for the board's memory (the L board has 512 MiB).
        await #expect(throws: BoardLinkError.self) {
            try await link.request(.loadModel(modelID: "huge", size: UInt32.max, sha256: Array(repeating: 0, count: 32)))
        }
        try await link.loadModel(id: "digits", bytes: bytes)
        await #expect(throws: BoardLinkError.board(.badInput, "model 'digits' takes 64 int8 inputs, got 3")) {
            try await link.infer(modelID: "digits", input: [1, 2, 3])
        }
        #expect(try await link.hello().serial == "EMU-L-0001")
    }

    @Test func garbageOnTheWireIsAnsweredAndTheLinkRecovers() async throws {
        let info = try #require(try gateway.usb.devices(readStrings: true).first { $0.strings?.serialNumber == "EMU-S-0002" })
        let device = try gateway.usb.open(info.location)
        defer { gateway.shutdown() }
        var corrupt = BoardMessage.hello(protocolVersion: 1).frame(requestID: 77).encoded()
        corrupt[corrupt.count - 1] ^= 0xFF
        try device.bulkWrite(endpoint: 0x01, [0xDE, 0xAD] + corrupt)
        var decoder = BoardFrameDecoder()
        var replies: [BoardMessage] = []
        var ids: [UInt32] = []
        while replies.count < 2 {
            decoder.push(try device.bulkRead(endpoint: 0x81, length: 4096, timeout: .seconds(2)))
            while let next = decoder.next() {
                let frame = try next.get()
                ids.append(frame.requestID)
                replies.append(try BoardMessage(frame: frame))
            }
        }
        #expect(ids == [0, 77])
        #expect(replies.allSatisfy { if case .error(.malformedFrame, _) = $0 { true } else { false } })
        let link = try BoardConnection(device: device)
        defer { link.close() }
        #expect(try await link.hello().serial == "EMU-S-0002")
    }

    /// A link with no request in flight waits for one instead of polling the board: it used to
    /// time a bulk IN transfer out every 100 ms, ten wakeups a second per idle board.
    @Test func idleLinkMakesNoTransfers() async throws {
        let link = try connect("EMU-S-0001")
        defer { link.close(); gateway.shutdown() }
        _ = try await link.hello()
        try await Task.sleep(for: .milliseconds(50))
        let before = link.device.counters
        try await Task.sleep(for: .milliseconds(600))
        let after = link.device.counters
        #expect(after.transfers == before.transfers, "an idle link made \(after.transfers - before.transfers) transfers (\(after.timeouts - before.timeouts) timed out)")
        #expect(try await link.hello().serial == "EMU-S-0001")
    }

    /// A request whose reply never comes in (every bulk IN transfer times out) fails at its deadline.
    @Test func requestWhoseReplyNeverArrivesTimesOut() async throws {
        let faults = USBFaultInjector()
        let silent = SimulatedGateway(catalogue: try BoardCatalogue.load(directories: [Self.root.appendingPathComponent("boards").path]), taps: [faults])
        defer { silent.shutdown(); gateway.shutdown() }
        let info = try #require(try silent.usb.devices(readStrings: true).first { $0.strings?.serialNumber == "EMU-S-0001" })
        let link = try BoardConnection(device: try silent.usb.open(info.location), defaultTimeout: .seconds(5))
        defer { link.close() }
        // Before any request: no bulk IN transfer is under way that could pass the rule.
        faults.fail(.timeout, matching: .endpoint(0x81), times: .max)
        let started = ContinuousClock.now
        do {
            _ = try await link.request(.hello(protocolVersion: BoardFrame.version), timeout: .milliseconds(300))
            Issue.record("a request whose reply was never read succeeded")
        } catch let error as BoardLinkError {
            guard case .timeout(_, let seconds) = error else { Issue.record("expected a timeout, got \(error)"); return }
            #expect(seconds == 0.3, "the request's own 300 ms deadline fired, not the link's 5 s default")
        }
        // Wall time only shows the request did not wait for ever: the suite's synchronous tests that
        // run programs hold the cooperative pool's two threads for up to 20 s at its start, and the
        // timed-out request resumes only when a thread is free. The deadline itself is shown on a
        // manual clock by BoardConnectionClockTests.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func unplugFailsWaitingRequestsAsDisconnection() async throws {
        let link = try connect("EMU-S-0002")
        defer { gateway.shutdown() }
        try await link.loadModel(id: "digits", bytes: try DigitsDataset.modelBytes())
        let board = try #require(gateway.boards.first { $0.serial == "EMU-S-0002" })
        board.unplug()
        do {
            _ = try await link.hello()
            Issue.record("a request to an unplugged board succeeded")
        } catch let error as BoardLinkError {
            #expect(error.isDisconnection, "\(error)")
        }
        #expect(link.closedBecause?.isDisconnection == true)
    }

    @Test func detachToDFUReenumeratesInTheBootloader() async throws {
        let link = try connect("EMU-L-0001")
        defer { link.close(); gateway.shutdown() }
        try await link.detachToDFU()
        let board = try #require(gateway.boards.first { $0.serial == "EMU-L-0001" })
        for _ in 0..<100 where board.currentMode != .bootloader { try await Task.sleep(for: .milliseconds(10)) }
        #expect(board.currentMode == .bootloader)
    }
}
