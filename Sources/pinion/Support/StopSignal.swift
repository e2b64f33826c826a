import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM so the controller can stop cleanly instead of being killed mid-work.
/// Unchecked Sendable: the dispatch sources are only held to keep them alive, never touched again.
final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    private init(sources: [any DispatchSourceSignal], stream: AsyncStream<Int32>) {
        self.sources = sources
        self.stream = stream
    }

    static func install(_ signals: [Int32]) -> StopSignal {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        return StopSignal(sources: sources, stream: stream)
    }

    /// The first signal received.
    func wait() async -> Int32 {
        for await number in stream { return number }
        return SIGTERM
    }
}
