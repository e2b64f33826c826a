import Foundation
import PinionBoardLink
import PinionBoards
import PinionEmulator
import PinionFirmware
import PinionLedger
import PinionUpstream
import PinionUSB
import SwiftProtobuf

/// Writes the seeds that are made with Pinion's own code into `<directory>/<target>/`: board frames,
/// the emulated boards' descriptors, NCMD payloads, ledger lines and task JSON. The seeds that are
/// files of the project (firmware fixtures, pinion.toml, boards/*.toml) are copied by scripts/fuzz --seeds.
struct SeedWriter {
    let directory: String

    func writeAll() throws {
        try boardFrames()
        try usbDescriptors()
        try sparkplugCommands()
        try ledgerLines()
        try tasks()
    }

    private func write(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
        let folder = directory + "/" + target
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    private func boardFrames() throws {
        let info = BoardInfo(firmwareVersion: "1.2.0", serial: "PN-0001", modelFormats: ["pinion-int8"],
                             memoryBytes: 8 << 20, macsPerSecond: 4_000_000_000, maxInFlight: 4, loadedModels: ["digits"])
        let messages: [BoardMessage] = [
            .hello(protocolVersion: 1), .loadModel(modelID: "digits", size: 1024, sha256: [UInt8](repeating: 0xAB, count: 32)),
            .modelChunk(modelID: "digits", offset: 512, bytes: [1, 2, 3, 4, 5, 6, 7, 8]), .unloadModel(modelID: "digits"),
            .infer(modelID: "digits", input: [UInt8](0..<64)), .telemetryRequest, .reset, .detachToDFU, .ack, .info(info),
            .result(output: [0, 5, 250, 3, 1, 0, 0, 2, 9, 4], computeMicroseconds: 1234), .telemetry(celsius: 41.5, watts: 2.25),
            .error(.unknownModel, message: "no model digits"),
        ]
        var stream: [UInt8] = []
        for (index, message) in messages.enumerated() {
            let frame = message.frame(requestID: UInt32(index + 1))
            try write("board-frames", "frame-\(index)-type-\(frame.type)", [0x3F] + frame.encoded())
            // The same message through the framing the target adds itself (top bit of the first byte).
            try write("board-frames", "message-\(index)-type-\(frame.type)",
                      [0x80 | 0x3F, frame.type] + withUnsafeBytes(of: frame.requestID.littleEndian, Array.init) + frame.payload)
            stream += frame.encoded() + (index % 3 == 0 ? [0x00, 0x50, 0x13] : [])
        }
        try write("board-frames", "stream-in-pieces-of-7", [0x06] + stream)
    }

    private func usbDescriptors() throws {
        let catalogue = try BoardCatalogue.load(directories: ["boards"])
        let host = EmulatedUSBHost()
        for (index, board) in catalogue.boards.enumerated() {
            for mode in [EmulatedBoardMode.runtime, .bootloader] {
                let ports = [UInt8(index + 1), mode == .runtime ? 1 : 2]
                _ = EmulatedBoard(model: EmulatedBoardModel(board: board), serial: "SEED\(index)", host: host, ports: ports, mode: mode)
                guard let device = host.device(at: ports) else { continue }
                let name = "\(board.id)-\(mode)"
                var blob = device.deviceDescriptorBytes
                try write("usb-descriptors", "\(name)-device", device.deviceDescriptorBytes)
                for configuration in device.configurations.indices {
                    let bytes = device.configurationBytes(index: configuration) ?? []
                    try write("usb-descriptors", "\(name)-configuration-\(configuration)", bytes)
                    blob += bytes
                }
                try write("usb-descriptors", "\(name)-sysfs-descriptors", blob)
                if let product = device.strings.values.sorted().first {
                    try write("usb-descriptors", "\(name)-string", USBDescriptorEncoder.string(product))
                }
            }
        }
        try write("usb-descriptors", "languages", USBDescriptorEncoder.languages([0x0409, 0x0407]))
    }

    private func sparkplugCommands() throws {
        let session = SparkplugSession(group: "pinion", node: "gw-fuzz", bdSeq: 3, clock: { 1_700_000_000_000 })
        for (name, value) in [("rebirth-true", true), ("rebirth-false", false)] {
            let payload = SparkplugPayload(metrics: [TelemetryMetric(SparkplugSession.rebirthMetric, .bool(value))],
                                           timestampMilliseconds: 1_700_000_000_000)
            try write("sparkplug-ncmd", name, Array(try payload.serializedData()))
        }
        let other = SparkplugPayload(metrics: [TelemetryMetric("Node Control/Next Server", .bool(true)),
                                               TelemetryMetric("temperature", .double(41.5)),
                                               TelemetryMetric("label", .string("board-1")),
                                               TelemetryMetric("count", .unsigned(7))],
                                     timestampMilliseconds: 1_700_000_000_000)
        try write("sparkplug-ncmd", "other-metrics", Array(try other.serializedData()))
        for (index, message) in session.connected().enumerated() {
            try write("sparkplug-ncmd", "birth-\(index)", message.payload)
        }
    }

    private func ledgerLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-fuzz-seeds-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = try GatewayLedger(path: path, identity: try FirmwareSigningKey(seed: [UInt8](repeating: 7, count: 32)))
        let hash = String(repeating: "ab", count: 32)
        let entries = try awaitResult {
            try await ledger.append([
                .receipt(ComputeReceipt(task: "t-1", model: "digits", modelSHA256: hash, inputSHA256: hash, outputSHA256: hash,
                                        board: "PN-0001", startMs: 1_700_000_000_000, endMs: 1_700_000_000_012, microjoules: 5400)),
                .energy(EnergyReport(fromMs: 1_700_000_000_000, toMs: 1_700_000_060_000, boards: ["PN-0001": 120_000],
                                     idle: ["PN-0001": 60_000], gapMs: [:])),
                .receipt(ComputeReceipt(task: "t-2", model: "digits", modelSHA256: hash, inputSHA256: hash, outputSHA256: hash,
                                        board: "PN-0002", startMs: 1_700_000_000_100, endMs: 1_700_000_000_130, microjoules: nil)),
            ], timeMs: 1_700_000_000_200)
        }
        try write("ledger-lines", "ledger", Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        try write("ledger-lines", "one-entry", entries[0].line + [0x0A])
        // Payload lines: the target signs each line itself, so these reach the chain check.
        try write("ledger-lines", "payloads", entries.flatMap { Array($0.payload.utf8) + [0x0A] })
    }

    private func tasks() throws {
        let api = [
            #"{"tasks":[{"id":"t-1","model":"digits","input":[0,1,-128,127],"priority":2,"deadline":1700000000.5}]}"#,
            #"{"tasks":[{"model":"digits","input":[]},{"id":"t-2","model":"digits","input":[5,300]}]}"#,
        ]
        for (index, text) in api.enumerated() { try write("api-tasks", "submit-\(index)", Array(text.utf8)) }
        let mqtt = [
            #"{"id":"t-1","model":"digits","input":[0,1,-128,127],"priority":1,"deadline":1700000000,"reply_to":"pinion/results/x"}"#,
            #"{"id":"t-2","model":"digits","input":[1000]}"#,
            #"{"id":"","model":"digits","input":[1]}"#,
            #"{"model":"digits","input":"abc"}"#,
        ]
        for (index, text) in mqtt.enumerated() { try write("mqtt-tasks", "task-\(index)", Array(text.utf8)) }
    }
}

/// Runs an async throwing call to completion from synchronous code (the seed writer is a one-off command).
private func awaitResult<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
