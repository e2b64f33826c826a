import Foundation
import Glibc

/// The write end of the self-pipe that the signal handler writes the signal number to.
/// Set once, before any handler is installed; the handler only reads it.
nonisolated(unsafe) private var stopSignalPipeWriter: Int32 = -1

/// Waits for SIGINT or SIGTERM so the controller can stop cleanly instead of being killed mid-work
/// (and, for `pinion run`, SIGHUP: reload the configuration).
///
/// The handler is installed with `sigaction` before `install` returns, so a signal sent the moment
/// the program says it is ready is never lost (a dispatch signal source registers its handler
/// later, on another thread, and a signal arriving in between would be ignored). The handler
/// writes the signal number to a pipe, the one async-signal-safe thing it does; a thread reads
/// the pipe and hands the number to `wait()`.
public final class StopSignal: Sendable {
    private let stream: AsyncStream<Int32>

    /// Signal numbers delivered by other means than the process's signal handlers: a program that
    /// embeds the controller, or a test, stops it by yielding `SIGTERM` into `signals`.
    public init(signals: AsyncStream<Int32>) {
        stream = signals
    }

    /// Installs the handler for `signals`; call once per process.
    public static func install(_ signals: [Int32]) -> StopSignal {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            fatalError("pinion: cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stopSignalPipeWriter = fds[1]
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let reader = fds[0]
        Thread.detachNewThread {
            var number: UInt8 = 0
            while true {
                let got = read(reader, &number, 1)
                if got == 1 { continuation.yield(Int32(number)) }
                else if got < 0 && errno == EINTR { continue }
                else { break }
            }
        }
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(stopSignalPipeWriter, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
        return StopSignal(signals: stream)
    }

    /// Waits up to `seconds`; true when a signal came first.
    public func waitOrTimeout(seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await self.wait(); return true }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// The first signal received.
    public func wait() async -> Int32 {
        await next() ?? SIGTERM
    }

    /// The next signal received, or nil when the waiting task is cancelled first.
    public func next() async -> Int32? {
        for await number in stream { return number }
        return nil
    }
}
