/// A placement policy as configuration names it (`[scheduler] policy`, `pinion demo --policy`):
/// its name and how to make a fresh one.
public struct PlacementPolicyEntry: Sendable {
    public let name: String
    public let make: @Sendable () -> any PlacementPolicy

    public init(_ name: String, make: @escaping @Sendable () -> any PlacementPolicy) {
        self.name = name
        self.make = make
    }
}

/// Every placement policy Pinion has, in the order help texts list them: a new policy is its own
/// file and one line here.
public enum PlacementPolicies {
    public static let all: [PlacementPolicyEntry] = [
        PlacementPolicyEntry("energy-aware") { EnergyAwarePolicy() },
        PlacementPolicyEntry("fifo") { FIFOPolicy() },
        PlacementPolicyEntry("round-robin") { RoundRobinPolicy() },
    ]

    /// The names, in `all`'s order.
    public static var names: [String] { all.map(\.name) }

    /// A fresh policy of that name; nil for a name no policy has.
    public static func make(named name: String) -> (any PlacementPolicy)? {
        all.first { $0.name == name }?.make()
    }
}
