import ServiceLifecycle

/// One part of the running controller (a loop, the API, a sampler) as a `Service` of its
/// `ServiceGroup`, under a name a log line can use.
///
/// A loop runs until graceful shutdown cancels it. When it throws, or returns while nobody asked it
/// to stop, it throws a `DaemonServiceFailure` naming it: the group then shuts the others down and
/// the daemon exits non-zero with that one line, for its supervisor to restart it.
public struct DaemonService: Service, CustomStringConvertible {
    /// What the service is, as a log line names it ("ledger ticker", "API on /run/pinion/pinion.sock").
    public let name: String
    private let body: @Sendable () async throws -> Void
    private let cancelOnShutdown: Bool

    /// A loop that is cancelled when the daemon shuts down gracefully.
    public init(_ name: String, loop: @escaping @Sendable () async throws -> Void) {
        self.name = name
        body = loop
        cancelOnShutdown = true
    }

    /// A service that handles graceful shutdown itself (the HTTP API finishes its requests).
    public init(_ name: String, service: some Service) {
        self.name = name
        body = { try await service.run() }
        cancelOnShutdown = false
    }

    public var description: String { name }

    public func run() async throws {
        do {
            if cancelOnShutdown {
                try await cancelWhenGracefulShutdown(body)
            } else {
                try await body()
            }
        } catch {
            if Self.stopping && (error is CancellationError || Task.isCancelled) { return }
            throw DaemonServiceFailure(service: name, reason: "\(error)")
        }
        if !Self.stopping { throw DaemonServiceFailure(service: name, reason: "stopped on its own") }
    }

    private static var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

/// A part of the daemon failed; the daemon stops with this line.
public struct DaemonServiceFailure: Error, CustomStringConvertible {
    public let service: String
    public let reason: String

    public var description: String { "\(service) failed: \(reason)" }
}
