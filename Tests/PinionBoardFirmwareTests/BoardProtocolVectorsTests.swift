import Crypto
import Foundation
import PinionBoardFirmware
import PinionBoardLink
import PinionModels
import Synchronization
import Testing

/// The board protocol's test vectors (docs/board-protocol-vectors/): request bytes as a host sends
/// them and the reply bytes a conforming board answers, one pair of files per exchange. This test
/// keeps them true: the reference firmware core must answer each request with exactly the reply
/// file (RESULT's compute-µs field zeroed, see the README there). `PINION_WRITE_VECTORS=1`
/// rewrites the files from the firmware's answers.
@Suite("Board protocol test vectors")
struct BoardProtocolVectorsTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/board-protocol-vectors")

    /// The exchanges, in order, against one board (state carries over: the model loaded by one
    /// is used by the next).
    static func exchanges() throws -> [(name: String, request: [UInt8])] {
        let model = try DigitsDataset.modelBytes()
        let images = try DigitsDataset.testSplit().prefix(3).map { $0.input.map { UInt8(bitPattern: $0) } }
        var load = BoardMessage.loadModel(modelID: "digits", size: UInt32(model.count), sha256: Array(SHA256.hash(data: model))).frame(requestID: 2).encoded()
        var id: UInt32 = 3
        for offset in stride(from: 0, to: model.count, by: 1024) {
            load += BoardMessage.modelChunk(modelID: "digits", offset: UInt32(offset), bytes: Array(model[offset..<min(offset + 1024, model.count)]))
                .frame(requestID: id).encoded()
            id += 1
        }
        var corrupt = BoardMessage.telemetryRequest.frame(requestID: 40).encoded()
        corrupt[corrupt.count - 1] ^= 0xFF
        return [
            ("01-hello", BoardMessage.hello(protocolVersion: 1).frame(requestID: 1).encoded()),
            ("02-load-model", load),
            ("03-infer-three", images.enumerated().flatMap { BoardMessage.infer(modelID: "digits", input: $1).frame(requestID: 20 + UInt32($0)).encoded() }),
            ("04-infer-wrong-size", BoardMessage.infer(modelID: "digits", input: [1, 2, 3]).frame(requestID: 30).encoded()),
            ("05-telemetry", BoardMessage.telemetryRequest.frame(requestID: 31).encoded()),
            ("06-corrupt-payload", corrupt),
            ("07-unload", BoardMessage.unloadModel(modelID: "digits").frame(requestID: 41).encoded()),
            ("08-infer-unknown-model", BoardMessage.infer(modelID: "digits", input: images[0]).frame(requestID: 42).encoded()),
        ]
    }

    @Test func theReferenceFirmwareAnswersEveryVectorExactly() throws {
        let replies = ReplyCollector()
        let firmware = BoardFirmware(identity: .init(firmwareVersion: "1.00", serial: "VECTORS-1", memoryBytes: 1 << 20, maxInFlight: 4),
                                     backend: InterpreterBackend(), workers: 1, send: { replies.append($0) },
                                     telemetry: { (47.25, 1.5) }, onReset: { _ in })
        defer { firmware.stop() }
        let write = ProcessInfo.processInfo.environment["PINION_WRITE_VECTORS"] == "1"
        for (name, request) in try Self.exchanges() {
            var decoder = BoardFrameDecoder()
            decoder.push(request)
            var expectedReplies = 0
            while let next = decoder.next() { expectedReplies += 1; _ = next }
            replies.clear()
            firmware.receive(request)
            let got = try replies.frames(expectedReplies)
            let requestFile = Self.directory.appendingPathComponent("\(name).request.bin")
            let replyFile = Self.directory.appendingPathComponent("\(name).reply.bin")
            if write {
                try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
                try Data(request).write(to: requestFile)
                try Data(got).write(to: replyFile)
            }
            #expect(try [UInt8](Data(contentsOf: requestFile)) == request, "\(name).request.bin is stale: PINION_WRITE_VECTORS=1 swift test --filter BoardProtocolVectors")
            #expect(try [UInt8](Data(contentsOf: replyFile)) == got, "the firmware's reply to \(name) differs from \(name).reply.bin")
        }
    }
}

/// The bytes a firmware sent, and a wait for a number of whole frames among them.
final class ReplyCollector: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let arrived = NSCondition()

    func append(_ data: [UInt8]) {
        arrived.lock()
        bytes.withLock { $0 += data }
        arrived.broadcast()
        arrived.unlock()
    }

    func clear() { bytes.withLock { $0 = [] } }

    /// Waits for `count` reply frames and returns them re-encoded in request-id order, RESULT's
    /// compute µs set to 0 (the one field that depends on the board's speed).
    func frames(_ count: Int) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(10)
        var frames: [BoardFrame] = []
        arrived.lock()
        while true {
            var decoder = BoardFrameDecoder()
            decoder.push(bytes.withLock { $0 })
            frames = []
            while let next = decoder.next() { if case .success(let frame) = next { frames.append(frame) } }
            if frames.count >= count || !arrived.wait(until: deadline) { break }
        }
        arrived.unlock()
        #expect(frames.count == count)
        return try frames.sorted { $0.requestID < $1.requestID }.flatMap { frame -> [UInt8] in
            if case .result(let output, _) = try BoardMessage(frame: frame) {
                return BoardMessage.result(output: output, computeMicroseconds: 0).frame(requestID: frame.requestID).encoded()
            }
            return frame.encoded()
        }
    }
}
