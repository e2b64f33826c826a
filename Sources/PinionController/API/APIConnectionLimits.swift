import Foundation
import Glibc

/// How much of the process one API listener (the Unix socket, or TCP) may hold, so that idle or
/// slow clients cannot lock out the others (`[api]` keys in pinion.toml; docs/api.md):
///   - `maxConnections`: connections held at once; one more takes the slot of the connection idle
///     longest (`ConnectionSlots`).
///   - `idleTimeout`: a connection on which no request head has arrived complete for this long is
///     closed, whether it never sent a byte, is between requests, or is sending its head slowly
///     (so this is the header read timeout too).
///   - `bodyTimeout`: a request's body must arrive complete within this long of its head, or the
///     connection is closed.
///   - `backlog`: connects the kernel queues while every slot is taken.
/// A long poll (`?wait=S`) is not cut by either timeout: they apply while a request is being read.
public struct APIConnectionLimits: Sendable, Hashable {
    public var maxConnections = 128
    public var idleTimeoutSeconds = 30.0
    public var bodyTimeoutSeconds = 30.0
    public var backlog = 1024
    /// The largest request body taken (413 beyond it).
    public var maxBodyBytes = 2 << 20

    public init() {}

    /// `maxConnections`, lowered when the process's open-file limit could not hold it on both
    /// listeners with room to spare for the journal, ledger, boards and broker.
    public var effectiveMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return maxConnections }
        let room = (Int(clamping: limit.rlim_cur) - 64) / 2
        return max(1, min(maxConnections, room))
    }
}
