import Glibc
import ServiceLifecycle

/// Waits for SIGINT or SIGTERM as a service of the daemon's group: when one comes it says so and
/// returns, and the group (which runs it with `successTerminationBehavior: .gracefullyShutdownGroup`)
/// shuts the other services down in reverse order. A shutdown that starts elsewhere ends it quietly.
struct StopSignalService: Service {
    let stop: StopSignal
    let log: @Sendable (String) -> Void

    func run() async {
        let stop = self.stop
        guard let signal = await cancelWhenGracefulShutdown({ await stop.next() }) else { return }
        log("stopping (\(signal == SIGTERM ? "SIGTERM" : "SIGINT"))")
    }
}
