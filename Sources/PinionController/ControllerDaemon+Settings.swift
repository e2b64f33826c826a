import Foundation
import PinionBoards
import PinionI2C
import PinionUSB

extension ControllerDaemon {
    /// What a daemon is built from: the gateway's configuration and the hardware it runs on, as
    /// `pinion run` has them once its options are parsed.
    public struct Settings: Sendable {
        /// The configuration in force at start.
        public var configuration: GatewayConfiguration
        /// The file SIGHUP reloads the configuration from (nil: none was named, a reload reads the defaults).
        public var configurationPath: String?
        public var catalogue: BoardCatalogue
        /// The USB host the boards are on (libusb, or the simulated gateway's).
        public var host: any USBHost
        /// The I2C buses the sensors are on.
        public var buses: any I2CBusProvider
        /// Said at start (`pinion 0.9.0 starting`) and in telemetry.
        public var version: String
        /// The boards and sensors are emulated (`--simulate`): the start line says so.
        public var emulated: Bool
        /// How often the energy per rail and board is printed (`--energy-report`).
        public var energyReportSeconds: Double
        /// Where the scheduler's, the ledger's and the upstream's figures go (`GET /metrics`).
        public var metrics: ControllerMetrics
        /// Told `READY=1`, `STOPPING=1`, reloads and watchdog pings, under systemd.
        public var systemd: SystemdNotifier?
        /// How often the watchdog pings systemd (`WatchdogSec=` halved), when it wants them.
        public var watchdogInterval: Duration?

        /// - Parameters:
        ///   - metrics: `ControllerMetrics.process` for the process's one daemon; a fresh one for a daemon among others.
        ///   - systemd: by default the notifier `$NOTIFY_SOCKET` names, with `$WATCHDOG_USEC`'s interval.
        public init(configuration: GatewayConfiguration, configurationPath: String?, catalogue: BoardCatalogue,
                    host: any USBHost, buses: any I2CBusProvider, version: String, emulated: Bool = false,
                    energyReportSeconds: Double = 60, metrics: ControllerMetrics = .process,
                    systemd: SystemdNotifier? = SystemdNotifier.fromEnvironment(),
                    watchdogInterval: Duration? = SystemdNotifier.watchdogInterval()) {
            self.configuration = configuration
            self.configurationPath = configurationPath
            self.catalogue = catalogue
            self.host = host
            self.buses = buses
            self.version = version
            self.emulated = emulated
            self.energyReportSeconds = energyReportSeconds
            self.metrics = metrics
            self.systemd = systemd
            self.watchdogInterval = watchdogInterval
        }

        /// Every file of the controller's state, whose directories the state lock covers.
        var stateFiles: [String] {
            [configuration.scheduler.journal, configuration.ledger.path, configuration.ledger.identity]
                + [configuration.upstream?.outbox].compactMap { $0 }
        }
    }
}
