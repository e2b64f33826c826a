import PinionI2C

/// A chip driver as the CLI and the sampler use it, whatever the chip: bring it up once, then read.
///
/// Drivers borrow an `I2CBus`; they never open or close one. Every call performs blocking I2C
/// transfers on the caller's thread: call from a thread that may block (the sampler's own
/// thread, or through an offload), not from a task on the cooperative pool. A driver is a value
/// holding its bus, address and settings; it keeps no state between reads, so copies are
/// independent and a driver may be read from any thread (the bus serialises transfers).
public protocol Sensor: Sendable {
    /// Chip, bus, address, channel and label (for an INA3221 the channel is nil; readings carry theirs).
    var source: SensorSource { get }

    /// Brings the chip to the state Pinion reads it in: checks the identification registers
    /// where the chip has them, writes the configuration and, for power monitors, the calibration.
    func prepare() throws(SensorError)

    /// Reads the chip once: one reading, or one per enabled channel of an INA3221.
    func read() throws(SensorError) -> [SensorReading]

    /// Reads the chip once for the sampler: the same transfers and measurements as `read()`,
    /// without the register and kernel views (`registers`, `hwmon`) that only `pinion sensors`
    /// prints — building them at 100 Hz for readings that are integrated and dropped was most of
    /// a sample's cost after the bus itself.
    func sample() throws(SensorError) -> [SensorReading]

    /// The driver as a sampler reading it every `period` seconds programs it: by default this one.
    /// A power monitor whose readings are integrated over time overrides it so that each reading
    /// averages the whole interval since the last, not a slice of it (`INA226`).
    func forSampling(every period: Double) -> any Sensor
}

extension Sensor {
    public func forSampling(every period: Double) -> any Sensor { self }
}
