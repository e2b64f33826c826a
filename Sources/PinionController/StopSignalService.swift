import Glibc
import ServiceLifecycle

/// Waits for SIGINT or SIGTERM as a service of the daemon's group: when one comes it says so and
/// returns, and the group (which runs it with `successTerminationBehavior: .gracefullyShutdownGroup`)
/// shuts the other services down in reverse order. A shutdown that starts elsewhere ends it quietly.
/// SIGHUP, when `reload` is given, runs `reload` (one at a time, in order) and waits on.
struct StopSignalService: Service {
    let stop: StopSignal
    let log: @Sendable (String) -> Void
    /// Told `STOPPING=1` when a signal starts the stop.
    var systemd: SystemdNotifier? = nil
    /// What SIGHUP does: reload the configuration.
    var reload: (@Sendable () async -> Void)? = nil

    func run() async {
        let stop = self.stop
        while let signal = await cancelWhenGracefulShutdown({ await stop.next() }) {
            if signal == SIGHUP, let reload {
                await reload()
                continue
            }
            systemd?.notify("STOPPING=1")
            log("stopping (\(signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "SIGINT"))")
            return
        }
    }
}
