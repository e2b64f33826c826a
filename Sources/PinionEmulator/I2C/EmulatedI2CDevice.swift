import PinionI2C

/// A chip on an `EmulatedI2CBus`, modelled at the wire: it sees the start of each message
/// addressed to it, every byte the master writes, every byte the master reads, and the STOP.
/// SMBus transactions and I2C_RDWR transfers therefore reach it exactly as they would on a real
/// bus, and one chip model serves both.
///
/// The bus calls these methods with its own lock held, one transfer at a time; a device that
/// also exposes setters (a measured temperature) keeps its state behind its own `Mutex`.
public protocol EmulatedI2CDevice: AnyObject, Sendable {
    /// A START or repeated START with the device's address and this R/W bit; the device ACKed.
    func start(_ direction: I2CDirection)
    /// The master wrote `byte`. Return false to NACK it.
    func write(_ byte: UInt8) -> Bool
    /// The master clocks one byte out of the device.
    func read() -> UInt8
    /// STOP: the transfer is over.
    func stop()
}
