import PinionSensors

/// The emulated chips: each emulated chip file declares its `EmulatedChipDriver` and one line here
/// registers it. `EmulatedI2CChipSet` (and so `--simulate`) and the benchmarks make chips from here.
public enum EmulatedChips {
    public static let all: [EmulatedChipDriver] = [
        EmulatedINA219.chip,
        EmulatedINA226.chip,
        EmulatedINA3221.chip,
        EmulatedINA228.chip,
        EmulatedLM75.chip,
        EmulatedTMP102.chip,
    ]

    /// The emulated chip registered for `type`; nil for a driver without one.
    public static func chip(for type: SensorType) -> EmulatedChipDriver? {
        all.first { $0.type == type }
    }
}
