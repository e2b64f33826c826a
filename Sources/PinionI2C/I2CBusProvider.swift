/// The machine's I2C buses: what `pinion i2c`, the sampler and `--simulate` ask for buses.
/// `I2CBusDirectory` provides the real ones from sysfs and /dev; the emulator provides its own.
public protocol I2CBusProvider: Sendable {
    /// The buses there are, or why there are none.
    func list() -> I2CBusListing
    /// Opens bus `number` (N in `i2c-N`).
    func openBus(_ number: Int, taps: [any I2CTap]) throws(I2CError) -> any I2CBus
}
