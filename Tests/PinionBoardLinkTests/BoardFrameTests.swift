import PinionBoardLink
import PinionEmulator
import Testing

@Suite("Board protocol framing")
struct BoardFrameTests {
    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func everyMessageRoundTrips() throws {
        let messages: [BoardMessage] = [
            .hello(protocolVersion: 1),
            .loadModel(modelID: "digits-mlp", size: 5000, sha256: Array(repeating: 0xAB, count: 32)),
            .modelChunk(modelID: "digits-mlp", offset: 4096, bytes: [1, 2, 3]),
            .unloadModel(modelID: "digits-mlp"),
            .infer(modelID: "digits-mlp", input: Array(0..<64)),
            .telemetryRequest, .reset, .detachToDFU, .ack,
            .info(BoardInfo(firmwareVersion: "1.2", serial: "EMU-S-0001", modelFormats: ["pinion-int8"], memoryBytes: 8 << 20,
                            macsPerSecond: 200_000_000_000, maxInFlight: 8, loadedModels: ["a", "b"])),
            .result(output: [0, 0, 0, 9], computeMicroseconds: 1234),
            .telemetry(celsius: 41.5, watts: 1.25),
            .error(.unknownModel, message: "no model 'x' loaded"),
        ]
        for (index, message) in messages.enumerated() {
            var decoder = BoardFrameDecoder()
            decoder.push(message.frame(requestID: UInt32(index)).encoded())
            let frame = try #require(try decoder.next()?.get())
            #expect(frame.requestID == UInt32(index))
            #expect(try BoardMessage(frame: frame) == message)
            #expect(decoder.next() == nil)
        }
        #expect(Set(messages.map(\.type)) == Set(BoardMessageType.allCases))
    }

    @Test func framesSplitAcrossTransfersAndJoinedInOne() throws {
        let frames = (0..<50).map { BoardMessage.infer(modelID: "m", input: Array(repeating: UInt8($0), count: $0 * 7)).frame(requestID: UInt32($0)) }
        let stream = frames.flatMap { $0.encoded() }
        var decoder = BoardFrameDecoder()
        var decoded: [BoardFrame] = []
        var generator = SplitMix64(seed: 9)
        var offset = 0
        while offset < stream.count {
            let piece = min(Int(generator.next() % 97) + 1, stream.count - offset)
            decoder.push(stream[offset..<(offset + piece)])
            offset += piece
            while let next = decoder.next() { decoded.append(try next.get()) }
        }
        #expect(decoded == frames)
    }

    @Test func aBadPayloadChecksumDropsThatFrameOnlyAndNamesItsRequest() throws {
        var bad = BoardMessage.infer(modelID: "m", input: [1, 2, 3]).frame(requestID: 7).encoded()
        bad[BoardFrame.headerSize + 2] ^= 0x01
        let good = BoardMessage.ack.frame(requestID: 8).encoded()
        var decoder = BoardFrameDecoder()
        decoder.push(bad + good)
        #expect(decoder.next() == .failure(.payloadChecksum(requestID: 7)))
        #expect(try decoder.next()?.get().requestID == 8)
    }

    @Test func aCorruptHeaderIsSkippedAndTheNextFrameFound() throws {
        var bad = BoardMessage.ack.frame(requestID: 1).encoded()
        bad[9] ^= 0x40   // the length: caught by the header CRC, not waited for
        let good = BoardMessage.ack.frame(requestID: 2).encoded()
        var decoder = BoardFrameDecoder()
        decoder.push(bad + good)
        var results: [Result<BoardFrame, BoardFrameError>] = []
        while let next = decoder.next() { results.append(next) }
        #expect(results.first == .failure(.headerChecksum))
        #expect(try results.last?.get().requestID == 2)
    }

    @Test func wrongVersionTooLongAndGarbageAreErrorsNotCrashes() throws {
        var future = BoardMessage.ack.frame(requestID: 3).encoded()
        future[2] = 9
        let crc = CRC32C.checksum(future[0..<12])
        for i in 0..<4 { future[12 + i] = UInt8(truncatingIfNeeded: crc >> (8 * i)) }
        var decoder = BoardFrameDecoder(maximumPayload: 16)
        decoder.push([0x00, 0x13, 0x37] + future + BoardMessage.infer(modelID: "m", input: Array(repeating: 1, count: 64)).frame(requestID: 4).encoded()
                     + BoardMessage.ack.frame(requestID: 5).encoded())
        var results: [Result<BoardFrame, BoardFrameError>] = []
        while let next = decoder.next() { results.append(next) }
        #expect(results.first == .failure(.garbage(bytes: 3)))
        #expect(results.contains(.failure(.unsupportedVersion(9, requestID: 3))))
        #expect(results.contains(.failure(.tooLong(length: 67, maximum: 16, requestID: 4))))
        #expect(try results.last?.get().requestID == 5)
        #expect(results.count == 4, "the over-long frame's payload is skipped by its length, not reported again as garbage")
    }

    @Test func malformedPayloadsNameTheField() {
        #expect(throws: BoardMessageError.unknownType(0x42)) { try BoardMessage(frame: BoardFrame(type: 0x42, requestID: 1)) }
        #expect(throws: BoardMessageError.truncated(field: "load.model", needed: 2, available: 1)) {
            try BoardMessage(frame: BoardFrame(BoardMessageType.loadModel, requestID: 1, payload: [5]))
        }
        #expect(throws: BoardMessageError.invalid(field: "ack", "1 bytes left over")) {
            try BoardMessage(frame: BoardFrame(BoardMessageType.ack, requestID: 1, payload: [0]))
        }
    }

    /// Random bytes and randomly damaged frames: the decoder only ever returns frames or errors,
    /// consumes everything, and every frame it returns is one that was sent.
    @Test func fuzzedStreamsNeverCrashOrInventFrames() throws {
        var generator = SplitMix64(seed: 0xF00D)
        let sent = (0..<200).map { BoardMessage.infer(modelID: "m\($0)", input: (0..<($0 % 40)).map { UInt8($0) }).frame(requestID: UInt32($0)) }
        var stream: [UInt8] = []
        for frame in sent {
            var bytes = frame.encoded()
            if generator.next() % 4 == 0 { bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8)) }
            if generator.next() % 8 == 0 { stream += (0..<Int(generator.next() % 20)).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
            stream += bytes
        }
        var decoder = BoardFrameDecoder()
        decoder.push(stream)
        var frames: [BoardFrame] = [], errors = 0
        while let next = decoder.next() {
            switch next {
            case .success(let frame): frames.append(frame)
            case .failure: errors += 1
            }
        }
        #expect(frames.allSatisfy { sent.contains($0) })
        #expect(frames.count > 100 && errors > 10)
        #expect(decoder.pendingBytes < BoardFrame.headerSize + 64)
    }
}
