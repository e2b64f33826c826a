import PinionI2C

/// A set of emulated buses numbered like `/dev/i2c-N`, provided to the CLI and controller
/// in place of the machine's buses under `--simulate`.
public struct EmulatedI2CBusSet: I2CBusProvider {
    /// Bus number → (adapter name as sysfs would show it, bus).
    public let buses: [Int: (name: String, bus: EmulatedI2CBus)]

    public init(buses: [Int: (name: String, bus: EmulatedI2CBus)]) {
        self.buses = buses
    }

    public func list() -> I2CBusListing {
        .buses(buses.keys.sorted().map { I2CBusInfo(number: $0, name: buses[$0]!.name, devicePath: "emulated:i2c-\($0)") })
    }

    public func openBus(_ number: Int, taps: [any I2CTap]) throws(I2CError) -> any I2CBus {
        guard let entry = buses[number] else {
            throw I2CError(.noSuchBus, operation: .open, bus: "i2c-\(number)", detail: "no emulated bus \(number)")
        }
        for tap in taps { entry.bus.taps.add(tap) }
        return entry.bus
    }
}
