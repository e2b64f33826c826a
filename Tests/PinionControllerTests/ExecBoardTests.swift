import Foundation
import PinionBoardLink
import PinionBoards
import PinionController
import PinionScheduler
import Testing

/// The exec runtime adapter with stand-in runner scripts (the real one is the vendor's).
@Suite("Exec runtime adapter")
struct ExecBoardTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-exec-test-\(UUID().uuidString)")

    func board(script: String, timeout: Double = 5) throws -> ExecBoard {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runner = directory.appendingPathComponent("runner.sh")
        try ("#!/bin/sh\n" + script).write(to: runner, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: runner.path)
        let text = """
            schema = 1
            name = "Test exec board"
            vendor = "Test"
            [usb.runtime]
            id = "1a6e:089a"
            [flash]
            method = "none"
            [runtime]
            kind = "exec"
            command = ["\(runner.path)", "{model}", "{input}", "{output}", "{serial}"]
            timeout_s = \(timeout)
            [capabilities]
            model_formats = ["tflite-edgetpu"]
            memory_mib = 8
            """
        let descriptor = try BoardDescriptorLoader.parse(text, file: directory.appendingPathComponent("test-exec.toml").path)
        return try ExecBoard(board: descriptor, serial: "CORAL-TEST", usbPath: "1-4", workDirectory: directory)
    }

    @Test func runsTheCommandWithFilesAndEnvironment() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        // Output: the model's bytes, then the input's, then the serial from the environment.
        let exec = try board(script: "cat \"$1\" \"$2\" > \"$3\"; printf '%s' \"$PINION_SERIAL@$PINION_USB_PATH\" >> \"$3\"")
        try await exec.loadModel(id: "m", bytes: Array("MODEL".utf8))
        let result = try await exec.infer(modelID: "m", input: [1, 2, 3])
        #expect(result.output == Array("MODEL".utf8) + [1, 2, 3] + Array("CORAL-TEST@1-4".utf8))
        #expect(exec.info.maxInFlight == 1)
        #expect(exec.info.modelFormats == ["tflite-edgetpu"])
    }

    @Test func failuresTimeoutsAndMissingModelsAreTypedErrors() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let failing = try board(script: "echo 'tensor shape mismatch: expected 224x224' >&2; exit 3")
        try await failing.loadModel(id: "m", bytes: [0])
        await #expect(throws: InferenceBoardError.taskFailed("\(directory.appendingPathComponent("runner.sh").path) exited 3: tensor shape mismatch: expected 224x224")) {
            try await failing.infer(modelID: "m", input: [1])
        }
        await #expect(throws: InferenceBoardError.modelMissing("no model 'other' loaded")) {
            try await failing.infer(modelID: "other", input: [1])
        }
        let slow = try board(script: "sleep 5", timeout: 0.2)
        try await slow.loadModel(id: "m", bytes: [0])
        let started = Date()
        do {
            _ = try await slow.infer(modelID: "m", input: [1])
            Issue.record("a runner past its timeout was not stopped")
        } catch let error as InferenceBoardError {
            guard case .timedOut = error else { Issue.record("expected a timeout, got \(error)"); return }
        }
        #expect(Date().timeIntervalSince(started) < 2)
    }
}
