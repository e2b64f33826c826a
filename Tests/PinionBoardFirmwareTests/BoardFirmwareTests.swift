import Foundation
import PinionBoardFirmware
import PinionBoardLink
import PinionModels
import Synchronization
import Testing

/// The reference board firmware's protocol core, driven by the host's own board link.
@Suite("pinion-board firmware core")
struct BoardFirmwareTests {
    static func digits() throws -> (model: [UInt8], vectors: [(input: [UInt8], reference: [UInt8])]) {
        let model = try Int8Model(bytes: try DigitsDataset.modelBytes())
        let vectors = try DigitsDataset.testSplit().map { image -> ([UInt8], [UInt8]) in
            (image.input.map { UInt8(bitPattern: $0) }, try Int8Interpreter.run(model, input: image.input).map { UInt8(bitPattern: $0) })
        }
        return (try DigitsDataset.modelBytes(), vectors)
    }

    @Test func theTestSplitRunsBitExactWithSixteenInFlightOnEndpointsReadFromTheDescriptors() async throws {
        let bus = FirmwareOnEmulatedBus(backend: InterpreterBackend())
        defer { bus.shutdown() }
        let link = try bus.connect()
        defer { link.close() }
        let info = try await link.hello()
        #expect(info.serial == "PB-TEST" && info.firmwareVersion == "1.00" && info.modelFormats == ["pinion-int8"])
        let (model, vectors) = try Self.digits()
        try await link.loadModel(id: "digits", bytes: model, chunkSize: 4000)
        let outputs = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var results = [[UInt8]](repeating: [], count: vectors.count)
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask { (index, try await link.infer(modelID: "digits", input: vectors[index].input).output) }
            }
            while next < 16 { add() }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < vectors.count { add() }
            }
            return results
        }
        #expect(outputs == vectors.map(\.reference))
        #expect(bus.firmware.inferences == vectors.count)
    }

    @Test func requestsBeyondMaxInFlightAreAnsweredBusyAndBadRequestsAreTyped() async throws {
        let gate = GatedBackend()
        let bus = FirmwareOnEmulatedBus(backend: gate, maxInFlight: 2, workers: 1)
        defer { gate.open(); bus.shutdown() }
        let link = try bus.connect()
        defer { link.close() }
        let (model, vectors) = try Self.digits()
        try await link.loadModel(id: "digits", bytes: model)
        let first = Task { try await link.infer(modelID: "digits", input: vectors[0].input) }
        let second = Task { try await link.infer(modelID: "digits", input: vectors[1].input) }
        try await gate.waitUntilRunning()
        for _ in 0..<200 where bus.firmware.queuedOrRunning < 2 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: BoardLinkError.board(.busy, "2 inferences in flight")) {
            try await link.infer(modelID: "digits", input: vectors[2].input)
        }
        gate.open()
        #expect(try await first.value.output == vectors[0].reference)
        #expect(try await second.value.output == vectors[1].reference)
        await #expect(throws: BoardLinkError.board(.badInput, "model 'digits' takes 64 int8 inputs, got 3")) {
            try await link.infer(modelID: "digits", input: [1, 2, 3])
        }
        await #expect(throws: BoardLinkError.board(.unknownModel, "no model 'nope' loaded")) {
            try await link.infer(modelID: "nope", input: [1])
        }
    }

    @Test func telemetryResetAndDetachAreAnsweredThenActedOn() async throws {
        let bus = FirmwareOnEmulatedBus(backend: InterpreterBackend(), telemetry: { (47.25, 1.5) })
        defer { bus.shutdown() }
        let link = try bus.connect()
        defer { link.close() }
        let telemetry = try await link.telemetry()
        #expect(telemetry.celsius == 47.25 && telemetry.watts == 1.5)
        let (model, _) = try Self.digits()
        try await link.loadModel(id: "digits", bytes: model)
        try await link.reset()
        try await link.detachToDFU()
        #expect(bus.resets.all == [false, true])
        bus.firmware.restart()
        #expect(try await link.hello().loadedModels.isEmpty)
    }

    @Test func aBoardThatLeavesBeforeItsAckIsReadHasDetachedNotFailed() async throws {
        let bus = FirmwareOnEmulatedBus(backend: InterpreterBackend(), leaveAtOnce: true)
        defer { bus.shutdown() }
        let link = try bus.connect()
        defer { link.close() }
        _ = try await link.hello()
        try await link.detachToDFU()
        #expect(link.closedBecause?.isDisconnection == true)
    }

    @Test func aThermalZoneIsReadInMillidegreesAndAMissingOneIsNaNWithTheReason() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-thermal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "51375\n".write(to: directory.appendingPathComponent("temp"), atomically: true, encoding: .utf8)
        let source = BoardTelemetrySource(thermalZone: directory.path, powerMonitor: nil)
        let reading = source.read()
        #expect(reading.celsius == 51.375 && reading.watts.isNaN && source.problem == nil)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("temp"))
        #expect(source.read().celsius.isNaN)
        #expect(source.problem == "\(directory.path)/temp: not readable as millidegrees")
    }
}

/// An interpreter whose inferences wait until `open()`: holds requests in flight for a test.
final class GatedBackend: InferenceBackend {
    private let inner = InterpreterBackend()
    private let gate = NSCondition()
    private let state = Mutex((open: false, running: 0))

    var modelFormats: [String] { inner.modelFormats }
    func load(id: String, bytes: [UInt8]) throws(BackendError) -> Int? { try inner.load(id: id, bytes: bytes) }
    func unload(id: String) throws(BackendError) { try inner.unload(id: id) }

    func infer(id: String, input: [UInt8]) throws(BackendError) -> [UInt8] {
        state.withLock { $0.running += 1 }
        gate.lock()
        while !state.withLock({ $0.open }) { gate.wait() }
        gate.unlock()
        return try inner.infer(id: id, input: input)
    }

    func open() {
        state.withLock { $0.open = true }
        gate.lock()
        gate.broadcast()
        gate.unlock()
    }

    func waitUntilRunning() async throws {
        for _ in 0..<400 where state.withLock({ $0.running }) == 0 { try await Task.sleep(for: .milliseconds(5)) }
    }
}
