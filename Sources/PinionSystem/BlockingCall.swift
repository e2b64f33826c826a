import Foundation

/// Runs blocking work (a synchronous USB transfer, a socket read, waiting for a process) on a
/// thread of its own and suspends the caller until it finishes.
///
/// Swift's cooperative pool has one thread per core (two on a small gateway). A libusb
/// transfer with a 5 s timeout run directly in a task holds one of them for 5 s, and two such
/// calls stall every other task in the process, including the one that would have unblocked
/// them. Everything that can block therefore goes through here.
public enum BlockingCall {
    /// Runs `body` on a new thread named `name` and returns its result or error.
    public static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }
}
