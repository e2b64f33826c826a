import PinionScheduler
import Testing

@Suite("Placement policy registry")
struct PlacementPoliciesTests {
    @Test func eachEntryMakesThePolicyOfItsName() throws {
        #expect(Set(PlacementPolicies.names).count == PlacementPolicies.all.count, "names are unique")
        for name in PlacementPolicies.names {
            let policy = try #require(PlacementPolicies.make(named: name))
            #expect(policy.name == name)
        }
    }

    @Test func anUnknownNameMakesNoPolicy() {
        #expect(PlacementPolicies.make(named: "fastest") == nil)
        #expect(PlacementPolicies.make(named: "") == nil)
    }
}
