/// Settings that cannot be programmed into a chip: a shunt resistance or maximum current that is
/// not a positive number, or a calibration value outside its register. The drivers report it as
/// `SensorError.Reason.invalidConfiguration`.
public struct CalibrationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The arithmetic the INA2xx datasheets prescribe for calibration registers, done once.
enum CalibrationMath {
    /// `trunc(value)` as the datasheets write it, for a value computed in binary floating point
    /// from decimal inputs. 0.04096 / (100 µA × 0.1 Ω) is 4096 on paper but may come out as
    /// 4095.999… in a `Double`; a plain truncation would lose a count. Values within one part in
    /// 10⁹ of an integer are taken as that integer; everything else is truncated toward zero.
    static func datasheetTrunc(_ value: Double) -> Double {
        let nearest = value.rounded()
        if abs(value - nearest) <= abs(value) * 1e-9 { return nearest }
        return value.rounded(.towardZero)
    }

    /// Rounds up to a whole count, with the same tolerance for binary rounding as `datasheetTrunc`.
    static func ceilingCount(_ value: Double) -> Double {
        let nearest = value.rounded()
        if abs(value - nearest) <= abs(value) * 1e-9 { return nearest }
        return value.rounded(.up)
    }

    /// Checks that a quantity is a positive, finite number.
    static func checkPositive(_ value: Double, _ what: String, _ unit: String) throws(CalibrationError) {
        guard value.isFinite, value > 0 else { throw CalibrationError("\(what) must be a positive number of \(unit), got \(value)") }
    }

    /// The register value for a computed calibration, or why it does not fit.
    static func register(_ value: Double, max: Int, formula: String) throws(CalibrationError) -> Int {
        guard value.isFinite, value >= 1 else {
            throw CalibrationError("calibration \(formula) = \(value) is below 1: the current LSB is too coarse for this shunt (lower the maximum current)")
        }
        guard value <= Double(max) else {
            throw CalibrationError("calibration \(formula) = \(Int(value)) exceeds the register's maximum \(max): the shunt is too small for this resolution (raise the maximum current)")
        }
        return Int(value)
    }
}
