import Foundation
import Synchronization

/// Runs a program to its end as a test's independent peer (python3, imgtool, openssl, pinion
/// itself) and keeps what it printed.
public struct ProgramRun: Sendable {
    public let status: Int32
    public let stdout: String
    /// Empty when `mergingErrors` sent standard error to `stdout`.
    public let stderr: String

    /// Runs `executable arguments…` to completion.
    /// - Parameters:
    ///   - environment: added to (and overriding) this process's environment.
    ///   - mergingErrors: standard error into `stdout`, as a terminal would show them.
    ///   - timeoutSeconds: kill the program (SIGKILL) when it runs longer, so a program that should
    ///     have stopped fails its test instead of hanging it; `status` is then the signal's number.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                mergingErrors: Bool = false, timeoutSeconds: Double? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = mergingErrors ? out : Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let timeoutSeconds {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds) { [process] in
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        // Standard error is drained on a thread of its own: a program that fills one pipe while
        // the other is being read would otherwise wait for ever.
        let errors = Mutex<Data>(Data())
        let drained = DispatchSemaphore(value: 0)
        if !mergingErrors {
            Thread {
                let data = err.fileHandleForReading.readDataToEndOfFile()
                errors.withLock { $0 = data }
                drained.signal()
            }.start()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        if !mergingErrors { drained.wait() }
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: output, as: UTF8.self)
        stderr = String(decoding: errors.withLock { $0 }, as: UTF8.self)
    }
}
