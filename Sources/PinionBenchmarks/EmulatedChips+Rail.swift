import PinionEmulator
import PinionSensors

extension EmulatedChips {
    /// A new emulated `type` measuring `rail`; throws if the registry has no such chip or it is
    /// not a power monitor that can follow a rail.
    static func railMonitor(for type: SensorType, measuring rail: EmulatedRail) throws -> any EmulatedRailMonitor {
        guard let monitor = chip(for: type)?.make() as? any EmulatedRailMonitor else {
            throw BenchmarkError("no emulated \(type.rawValue) that can measure a rail (EmulatedChips.all, EmulatedRailMonitor)")
        }
        monitor.connect(to: rail)
        return monitor
    }
}
