import Logging
import PinionBoards
import PinionScheduler

/// Reloads `pinion run`'s configuration file on SIGHUP (`systemctl reload pinion`) and applies
/// what can change while the controller runs: the sampling rates and sensor list (the samplers
/// are replaced), the scheduler's placement policy (queued and running tasks are kept), and the
/// MQTT broker and the login to it (the connections are made again; the outbox keeps what is
/// queued). Keys
/// that only a restart applies are named in one line and keep their running values, so a later
/// reload names them again until the restart. A file that cannot be used is named in one line
/// (file, key, line) and the running configuration stays in force.
public actor ConfigurationReloader {
    /// One line of what a reload did, at the level it is logged at.
    public struct Line: Sendable, Hashable {
        public var level: Logger.Level
        public var message: String
    }

    private let path: String?
    private var running: GatewayConfiguration
    private let sampling: LiveSampling
    private let scheduler: Scheduler
    private let upstream: ControllerUpstream?

    /// - Parameters:
    ///   - path: the file read at start and again at each reload; nil when there was none.
    ///   - running: the configuration in force.
    ///   - upstream: the link to the broker, with `[upstream]`.
    public init(path: String?, running: GatewayConfiguration, sampling: LiveSampling, scheduler: Scheduler, upstream: ControllerUpstream?) {
        self.upstream = upstream
        self.path = path
        self.running = running
        self.sampling = sampling
        self.scheduler = scheduler
    }

    /// The configuration in force (restart-only keys at the values the controller started with).
    public var configuration: GatewayConfiguration { running }

    /// Reads the file again and applies it; returns what to log, one line each.
    public func reload() async -> [Line] {
        guard let path else {
            return [Line(level: .warning, message: "reload: there is no configuration file to read again (none was given at start); nothing changed")]
        }
        let (reloaded, problems) = GatewayConfiguration.check(path: path)
        if let first = problems.first {
            let more = problems.count > 1 ? " (and \(problems.count - 1) more problems: pinion config check \(path))" : ""
            return [Line(level: .error, message: "reload failed: \(first)\(more); the running configuration stays in force")]
        }
        let policy: any PlacementPolicy
        do {
            policy = try reloaded.scheduler.placementPolicy()
        } catch {
            return [Line(level: .error, message: "reload failed: \(path): \(error); the running configuration stays in force")]
        }
        let changes = ConfigurationChanges(from: running, to: reloaded)
        // First the broker: the one change that can still fail, before anything else is applied.
        if let old = running.upstream, let new = reloaded.upstream, let upstream {
            var target = old
            target.host = new.host
            target.port = new.port
            target.username = new.username
            target.passwordFile = new.passwordFile
            if (old.caFile == nil) == (new.caFile == nil) {
                target.caFile = new.caFile
                target.certificateFile = new.certificateFile
                target.keyFile = new.keyFile
            }
            if target != old {
                do {
                    try await upstream.retarget(target)
                } catch {
                    return [Line(level: .error, message: "reload failed: \(path): \(error); the running configuration stays in force")]
                }
                running.upstream = target
            }
        }
        var lines: [Line] = []
        if !changes.restartOnly.isEmpty {
            lines.append(Line(level: .warning, message: "reload: \(changes.restartOnly.joined(separator: ", ")) changed; they take effect after a restart"))
        }
        if running.sampling != reloaded.sampling || running.sensors != reloaded.sensors {
            running.sampling = reloaded.sampling
            running.sensors = reloaded.sensors
            for problem in await sampling.apply(running) {
                lines.append(Line(level: .warning, message: "sensor not sampled: \(problem)"))
            }
        }
        if running.scheduler.policy != reloaded.scheduler.policy {
            running.scheduler.policy = reloaded.scheduler.policy
            await scheduler.setPolicy(policy)
        }
        let applied = changes.live.isEmpty ? (changes.restartOnly.isEmpty ? "nothing changed" : "nothing to apply now") : changes.live.joined(separator: ", ")
        lines.append(Line(level: .notice, message: "configuration reloaded: \(applied)"))
        return lines
    }
}
