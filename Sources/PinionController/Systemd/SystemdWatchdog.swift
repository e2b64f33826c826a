/// Pings the service manager's watchdog (`WATCHDOG=1`) at half its interval, but only after a
/// round trip through the controller's own work (`alive`: the scheduler answering, say): a daemon
/// that is hung — deadlocked, or stopped by SIGSTOP — stops pinging, and systemd restarts it.
public struct SystemdWatchdog: Sendable {
    public let notifier: SystemdNotifier
    public let interval: Duration
    private let alive: @Sendable () async -> Void

    /// - Parameter alive: returns once the controller's main work has answered.
    public init(notifier: SystemdNotifier, interval: Duration, alive: @escaping @Sendable () async -> Void) {
        self.notifier = notifier
        self.interval = interval
        self.alive = alive
    }

    /// Runs until cancelled.
    public func run() async throws {
        while true {
            await alive()
            notifier.notify("WATCHDOG=1")
            try await Task.sleep(for: interval / 2)
        }
    }
}
