import PinionI2C

/// A sensor driver's failure: which chip, on which bus and address, doing what, and why.
///
/// The cause is kept: a failed transfer carries its `I2CError` (whose `code` tells an absent chip
/// — `.noAcknowledge` — from a stuck bus or an address claimed by a kernel driver), so a sampler
/// can switch on it. `description` is one line in the manner of fwupd's `g_prefix_error`: the
/// sensor's context first, then the cause, then what to do.
///
/// ```
/// INA226 at i2c-1 0x40: read shunt voltage failed: i2c-1 0x40 reg 0x01: read word data failed: no acknowledge (ENXIO); nothing answered at 0x40; …
/// INA226 at i2c-1 0x40: identify failed: manufacturer ID 0x5449 (TI), die ID 0x3220 is an INA3221, not an INA226; …
/// ```
public struct SensorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why it failed.
    public enum Reason: Hashable, Sendable {
        /// An I2C transaction failed. `I2CError.code == .noAcknowledge` means nothing answered.
        case bus(I2CError)
        /// The chip's identification registers name a different chip (or none Pinion knows).
        case wrongChip(found: String)
        /// The adapter cannot do a transaction the chip needs (INA228's 24- and 40-bit registers
        /// need SMBus I2C block reads, I2C_FUNC_SMBUS_READ_I2C_BLOCK).
        case adapterLacks(I2CFunctionality, adapterHas: I2CFunctionality)
        /// The requested settings cannot be programmed (shunt resistance, maximum current,
        /// calibration out of the register's range, an INA3221 channel outside 1–3, …).
        case invalidConfiguration(String)
        /// The sensor type is not one Pinion has a driver for.
        case unsupportedType(String)
        /// The chip's calibration register reads 0: it was reset or lost power since `prepare()`,
        /// and its current and power registers read 0 whatever flows. Call `prepare()` again.
        case lostCalibration
    }

    public var reason: Reason
    /// The chip, when known (nil for an unsupported type).
    public var chip: SensorType?
    /// The bus's name, `i2c-1`.
    public var bus: String
    public var address: I2CAddress?
    /// What the driver was doing: `read shunt voltage`, `configure`, `identify`.
    public var operation: String

    public init(_ reason: Reason, chip: SensorType?, bus: String, address: I2CAddress?, operation: String) {
        self.reason = reason
        self.chip = chip
        self.bus = bus
        self.address = address
        self.operation = operation
    }

    /// The I2C failure underneath, if the reason is a failed transaction.
    public var i2cError: I2CError? {
        if case .bus(let error) = reason { return error }
        return nil
    }

    /// True when nothing acknowledged the chip's address: the chip is absent, unpowered or at
    /// another address.
    public var isAbsent: Bool { i2cError?.code == .noAcknowledge }

    public var description: String {
        var context: [String] = []
        if let chip { context.append("\(chip.displayName) at") }
        context.append(bus)
        if let address { context.append(address.description) }
        let prefix = context.joined(separator: " ") + ": \(operation) failed: "
        switch reason {
        case .bus(let error):
            return prefix + error.description
        case .wrongChip(let found):
            let expected = chip.map { "an \($0.displayName)" } ?? "the expected chip"
            return prefix + "\(found), not \(expected); check the sensor's type and address in the board descriptor or gateway configuration"
        case .adapterLacks(let needed, let has):
            return prefix + "the adapter cannot do \(needed) (it has: \(has)); read this chip through an adapter with SMBus I2C block reads"
        case .invalidConfiguration(let detail):
            return prefix + detail
        case .lostCalibration:
            return prefix + "the calibration register reads 0, so current and power read 0 whatever flows: the chip was reset or lost power; prepare it again"
        case .unsupportedType(let name):
            let known = SensorType.allCases.map(\.rawValue).joined(separator: ", ")
            return prefix + "no driver for sensor type \"\(name)\" (supported: \(known))"
        }
    }
}
