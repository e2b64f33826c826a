import Foundation
import PinionBoards
import PinionController
import PinionFirmware
import PinionI2C
import PinionSensors
import PinionSystem

/// The sensor checks of `pinion diag`: the board's own temperature and power (board protocol
/// TELEMETRY) and the gateway rail monitors bound to it (`board =` in `[[sensors]]`), against the
/// limits of its board descriptor (`[thermal] warn_c`, `max_c`; `[power] budget_w`).
enum DiagSensors {
    /// The die temperature against `[thermal]`: warn from warn_c, fail from max_c.
    static func temperatureCheck(celsius: Double, limits: ThermalLimits?) -> DiagnosticCheck {
        if celsius.isNaN { return DiagnosticCheck("temperature", .skip, "not measured: the board reports no temperature (no thermal zone)") }
        let figure = String(format: "%.1f °C", celsius)
        guard let limits else { return DiagnosticCheck("temperature", .pass, "\(figure) (the descriptor sets no [thermal] limits)") }
        if celsius >= limits.maxCelsius {
            return DiagnosticCheck("temperature", .fail, "\(figure), at or above max_c \(limits.maxCelsius) °C: the board overheats; check its cooling")
        }
        if celsius >= limits.warnCelsius {
            return DiagnosticCheck("temperature", .warn, "\(figure), at or above warn_c \(limits.warnCelsius) °C: Pinion gives it no new work; check the airflow")
        }
        return DiagnosticCheck("temperature", .pass, "\(figure) (warn at \(limits.warnCelsius) °C, max \(limits.maxCelsius) °C)")
    }

    /// A power figure (the board's own or a rail monitor's) against `[power] budget_w`: fail above it.
    static func powerCheck(_ name: String, watts: Double, budget: PowerBudget?) -> DiagnosticCheck {
        if watts.isNaN { return DiagnosticCheck(name, .skip, "not measured: the board reports no power (no power monitor on it; bind a rail monitor with board = in the configuration)") }
        let figure = String(format: "%.3f W", watts)
        guard let budget else { return DiagnosticCheck(name, .pass, "\(figure) (the descriptor sets no [power] budget)") }
        if watts > budget.budgetWatts {
            return DiagnosticCheck(name, .fail, "\(figure), above budget_w \(budget.budgetWatts) W: a faulty board or supply")
        }
        return DiagnosticCheck(name, .pass, "\(figure) (budget \(budget.budgetWatts) W)")
    }

    /// Reads every rail monitor the configuration binds to `serial` once, a check each.
    static func railChecks(serial: String, board: BoardDescriptor, configuration: GatewayConfiguration,
                           i2c: any I2CBusProvider) async -> [DiagnosticCheck] {
        let entries = configuration.sensors.filter { $0.board == serial }
        var checks: [DiagnosticCheck] = []
        for entry in entries {
            let name = "rail \(entry.sensor.label ?? "\(entry.sensor.bus)@\(entry.sensor.address)")"
            guard let number = entry.sensor.gatewayBusNumber else {
                checks.append(DiagnosticCheck(name, .fail, "bus '\(entry.sensor.bus)' is not a gateway I2C bus"))
                continue
            }
            do {
                let bus = try i2c.openBus(number, taps: [])
                let sensor = try SensorFactory.makeSensor(for: SensorSpec(entry.sensor), bus: bus)
                let readings = try await BlockingCall.run("diag rail") { () -> [SensorReading] in
                    try sensor.prepare()
                    return try sensor.read()
                }
                guard let watts = readings.compactMap(\.power?.watts).first else {
                    checks.append(DiagnosticCheck(name, .fail, "the monitor gave no power reading"))
                    continue
                }
                checks.append(powerCheck(name, watts: watts, budget: board.power))
            } catch {
                checks.append(DiagnosticCheck(name, .fail, "cannot read the rail monitor: \(error)"))
            }
        }
        return checks
    }
}
