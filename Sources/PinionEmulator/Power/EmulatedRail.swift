/// A power rail as a power monitor chip sees it: a board's power model, the shunt resistor the
/// chip measures across, and the clock both the chip and its readers share.
///
/// A chip bound to a rail converts continuously: a conversion ends every `period` seconds and
/// the registers show the average over the last completed conversion, as the real chips do.
public struct EmulatedRail: Sendable {
    public var model: EmulatedPowerModel
    public var shuntOhms: Double
    /// Seconds on the shared clock.
    public var now: @Sendable () -> Double

    public init(model: EmulatedPowerModel, shuntOhms: Double, now: @escaping @Sendable () -> Double) {
        self.model = model
        self.shuntOhms = shuntOhms
        self.now = now
    }

    /// The number of the conversion that last completed before now, for a chip converting every
    /// `period` seconds: cheap, so a chip integrates the rail only when a new one has completed.
    func lastConversionIndex(period: Double) -> Int64 { Int64((now() / period).rounded(.down)) }

    /// Conversion number `number` of a chip converting every `period` seconds.
    func conversion(_ number: Int64, period: Double) -> Conversion {
        let index = Double(number)
        let end = index * period
        let start = max(end - period, 0)
        let watts = end > start ? model.energy(from: start, to: end) / (end - start) : model.power(at: 0)
        let volts = model.parameters.busVolts
        return Conversion(index: number, end: end, watts: watts, busVolts: volts,
                          shuntVolts: watts / volts * shuntOhms)
    }

    /// One completed conversion: its number, end time and averages.
    struct Conversion {
        var index: Int64
        var end: Double
        var watts: Double
        var busVolts: Double
        var shuntVolts: Double
    }
}
