import Foundation
import PinionSensors
import Synchronization

/// What a board reports in TELEMETRY: its SoC's temperature from a Linux thermal zone
/// (`/sys/class/thermal/thermal_zoneN/temp`, millidegrees Celsius) and its power from an I2C power
/// monitor when one is configured (any Pinion power-monitor driver: INA219/226/228/3221).
/// A reading that fails is reported as NaN and the failure kept for the log, never a crash.
public final class BoardTelemetrySource: Sendable {
    public let thermalZone: String?
    private let powerMonitor: (any Sensor)?
    private let lastProblem = Mutex<String?>(nil)

    /// - Parameters:
    ///   - thermalZone: a thermal zone directory (`/sys/class/thermal/thermal_zone0`), or nil.
    ///   - powerMonitor: a prepared power-monitor driver, or nil.
    public init(thermalZone: String?, powerMonitor: (any Sensor)?) {
        self.thermalZone = thermalZone
        self.powerMonitor = powerMonitor
    }

    /// The last reading that failed, with why (nil once one succeeds again).
    public var problem: String? { lastProblem.withLock { $0 } }

    public func read() -> (celsius: Double, watts: Double) {
        var problems: [String] = []
        var celsius = Double.nan
        if let thermalZone {
            let path = thermalZone + "/temp"
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let millidegrees = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                celsius = millidegrees / 1000
            } else {
                problems.append("\(path): not readable as millidegrees")
            }
        }
        var watts = Double.nan
        if let powerMonitor {
            do {
                if let power = try powerMonitor.read().compactMap(\.power).first { watts = power.watts }
            } catch {
                problems.append("\(error)")
            }
        }
        lastProblem.withLock { $0 = problems.isEmpty ? nil : problems.joined(separator: "; ") }
        return (celsius, watts)
    }
}
