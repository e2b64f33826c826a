/// An emulated power monitor whose measurements can come from a rail's power model.
public protocol EmulatedRailMonitor: EmulatedI2CDevice {
    /// Wires the chip to `rail`: from now on its measurements come from the rail's power model.
    func connect(to rail: EmulatedRail)
}
