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
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                mergingErrors: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = mergingErrors ? out : Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
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
