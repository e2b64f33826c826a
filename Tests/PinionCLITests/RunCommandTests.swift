import Foundation
import PinionSystem
import Testing

@Suite("pinion run")
struct RunCommandTests {
    /// README's main command: the controller starts on emulated hardware, reports the boards, and
    /// stops cleanly on SIGTERM as systemd would stop it.
    @Test func simulatedControllerReportsBoardsAndStopsOnSIGTERM() async throws {
        // Reading the pipe and waiting for the process block, so they run on a thread of their own.
        let (text, reason, status) = try await BlockingCall.run("pinion run") { try Self.runUntilReadyThenTerminate() }
        #expect(reason == .exit && status == 0, "\(text)")
        #expect(text.contains("watching for boards"))
        #expect(text.components(separatedBy: "board attached").count - 1 == 7, "\(text)")
        #expect(text.contains("pinion-emu-npu-s (runtime) serial EMU-S-0001"))
        #expect(text.contains("i2c-1"))
        #expect(text.contains("stopping (SIGTERM)"))
        // The configured sensors are sampled, and their energy is reported per board at stop.
        #expect(text.contains("sampling i2c-1: 4 sensors (power 100 Hz, temperature 1 Hz)"), "\(text)")
        let boardLine = text.split(separator: "\n").last { $0.hasPrefix("energy: board EMU-S-0001 ") }
        let joules = boardLine.flatMap { Double($0.split(separator: " ")[3]) }
        #expect((joules ?? 0) > 0, "\(text)")
    }

    private static func runUntilReadyThenTerminate() throws -> (String, Process.TerminationReason, Int32) {
        let process = Process()
        process.executableURL = PinionProcess.executable
        process.arguments = ["run", "--simulate", "--energy-report", "0.5"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        // Ready: every board reported and a first energy report (so the samplers have run).
        while !text.contains("watching for boards") || text.components(separatedBy: "board attached").count < 8
            || !text.contains("energy: board") {
            guard Date() < deadline, process.isRunning else { break }
            let chunk = out.fileHandleForReading.availableData
            text += String(decoding: chunk, as: UTF8.self)
        }
        process.terminate()
        process.waitUntilExit()
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (text, process.terminationReason, process.terminationStatus)
    }
}
