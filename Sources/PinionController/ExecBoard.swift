import Foundation
import PinionBoardLink
import PinionBoards
import PinionScheduler
import PinionSystem

/// A vendor board run through its own runtime (`[runtime] kind = "exec"`, e.g. a Coral after
/// its DFU boot): each inference runs the descriptor's command with `{model}`, `{input}`,
/// `{output}`, `{usb_path}` and `{serial}` filled in, the board's path and serial also in the
/// environment (`PINION_USB_PATH`, `PINION_SERIAL`), input and output as files, killed after
/// `timeout_s`. "Loading" a model writes it where the command reads it.
public final class ExecBoard: InferenceBoard {
    public let info: BoardInfo
    public var serial: String { info.serial }
    private let settings: RuntimeSettings
    private let usbPath: String
    private let directory: URL

    public init(board: BoardDescriptor, serial: String, usbPath: String, workDirectory: URL) throws {
        guard board.execution.kind == .exec, !board.execution.command.isEmpty else {
            throw ControllerError("\(board.id) has no exec runtime command")
        }
        settings = board.execution
        self.usbPath = usbPath
        directory = workDirectory.appendingPathComponent(serial)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        info = BoardInfo(protocolVersion: 0, firmwareVersion: "exec", serial: serial, modelFormats: board.capabilities.modelFormats,
                         memoryBytes: UInt64(max(board.capabilities.memoryMiB, 1)) << 20,
                         macsPerSecond: UInt64(max(board.capabilities.peakTOPS, 0.001) * 5e11), maxInFlight: 1)
    }

    private func modelFile(_ id: String) -> URL { directory.appendingPathComponent("\(id).model") }

    public func loadModel(id: String, bytes: [UInt8]) async throws {
        try Data(bytes).write(to: modelFile(id), options: .atomic)
    }

    public func unloadModel(id: String) async throws {
        try? FileManager.default.removeItem(at: modelFile(id))
    }

    public func infer(modelID: String, input: [UInt8]) async throws -> BoardInferenceResult {
        let model = modelFile(modelID)
        guard FileManager.default.fileExists(atPath: model.path) else { throw InferenceBoardError.modelMissing("no model '\(modelID)' loaded") }
        let stem = UUID().uuidString
        let inputFile = directory.appendingPathComponent("\(stem).in"), outputFile = directory.appendingPathComponent("\(stem).out")
        defer {
            try? FileManager.default.removeItem(at: inputFile)
            try? FileManager.default.removeItem(at: outputFile)
        }
        try Data(input).write(to: inputFile)
        let values = ["{model}": model.path, "{input}": inputFile.path, "{output}": outputFile.path, "{usb_path}": usbPath, "{serial}": serial]
        let argv = settings.command.map { argument in values.reduce(argument) { $0.replacingOccurrences(of: $1.key, with: $1.value) } }
        let environment = ProcessInfo.processInfo.environment.merging(settings.environment) { $1 }
            .merging(["PINION_USB_PATH": usbPath, "PINION_SERIAL": serial]) { $1 }
        let errorFile = directory.appendingPathComponent("\(stem).err")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let timeout = settings.timeoutSeconds
        let started = ContinuousClock.now
        let (status, timedOut, errorText) = try await BlockingCall.run("exec \(serial)") {
            try Self.run(argv, environment: environment, errorFile: errorFile, timeoutSeconds: timeout)
        }
        if timedOut { throw InferenceBoardError.timedOut("no reply from \(argv[0]) on \(serial) within \(timeout) s") }
        guard status == 0 else {
            let why = errorText.split(separator: "\n").last.map(String.init) ?? ""
            throw InferenceBoardError.taskFailed("\(argv[0]) exited \(status)\(why.isEmpty ? "" : ": \(why)")")
        }
        guard let output = FileManager.default.contents(atPath: outputFile.path) else {
            throw InferenceBoardError.boardFault("\(argv[0]) exited 0 but wrote no output file")
        }
        let elapsed = ContinuousClock.now - started
        return BoardInferenceResult(output: [UInt8](output), computeMicroseconds: UInt32(clamping: elapsed.components.seconds * 1_000_000
                                                                                              + elapsed.components.attoseconds / 1_000_000_000_000))
    }

    /// Runs `argv`; returns its exit status, whether it was killed for the timeout, and its stderr.
    private static func run(_ argv: [String], environment: [String: String], errorFile: URL, timeoutSeconds: Double) throws -> (Int32, Bool, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.environment = environment
        // stderr to a file: a chatty runner cannot fill a pipe and stall.
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw InferenceBoardError.boardFault("cannot create \(errorFile.path)")
        }
        let errors = try FileHandle(forWritingTo: errorFile)
        defer { try? errors.close() }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw InferenceBoardError.boardFault("cannot start \(argv[0]): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        let timedOut = process.isRunning
        if timedOut {
            // The runner and whatever it started (a shell's children): its whole process group.
            let pid = process.processIdentifier
            if kill(-pid, SIGKILL) != 0 { kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        let text = String(decoding: FileManager.default.contents(atPath: errorFile.path) ?? Data(), as: UTF8.self)
        return (process.terminationStatus, timedOut, text)
    }
}
