
/// What the Linux kernel's hwmon drivers print for given register contents: the integer
/// arithmetic of drivers/hwmon/ina2xx.c, ina3221.c, lm75.c and tmp102.c as of the 6.1 kernels
/// (Debian 12, the lab's kernel), reimplemented from reading them (no code copied).
///
/// These are a cross-check, not Pinion's conversions: Pinion's drivers compute SI values in
/// `Double` from the same registers (see each driver's doc comment for where the results differ
/// and by how much). A lab check binds the kernel driver to an i2c-stub chip, reads its sysfs
/// files, and compares them with `SensorReading.hwmon`, which Pinion fills from these functions.
///
/// Units are hwmon's: in*_input mV (the INA3221's shunt inputs in4–in6: µV), curr*_input mA,
/// power*_input µW, temp*_input m°C.
public enum KernelHwmon {
    /// The kernel's `DIV_ROUND_CLOSEST` for a positive divisor: rounds half away from zero.
    public static func divRoundClosest(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        precondition(divisor > 0, "positive divisors only")
        return dividend > 0 ? (dividend + divisor / 2) / divisor : (dividend - divisor / 2) / divisor
    }

    /// A shunt resistance as the kernel takes it (`shunt_resistor`, device-tree `shunt-resistor`):
    /// whole micro-ohms.
    public static func microohms(_ ohms: Double) -> Int64 { Int64((ohms * 1_000_000).rounded()) }

    // MARK: ina2xx (INA219, INA226)

    /// The fixed constants of ina2xx.c for one chip.
    public struct INA2xxConstants: Sendable, Hashable {
        /// The calibration register value the driver always writes (4096 INA219, 2048 INA226).
        public var calibration: UInt16
        /// Shunt register counts per mV (100 INA219, 400 INA226).
        public var shuntDivisor: Int64
        public var busShift: Int
        public var busLSBMicrovolts: Int64
        /// Power LSB ÷ current LSB (20 INA219, 25 INA226).
        public var powerFactor: Int64
        /// The configuration register value the driver writes at probe (0x399F INA219, 0x4527 INA226).
        public var configuration: UInt16
    }

    /// ina2xx.c's table entry for `chip` (`.ina219` or `.ina226`); nil for other chips.
    public static func ina2xxConstants(_ chip: SensorType) -> INA2xxConstants? {
        switch chip {
        case .ina219: INA2xxConstants(calibration: 4096, shuntDivisor: 100, busShift: 3, busLSBMicrovolts: 4000, powerFactor: 20, configuration: 0x399F)
        case .ina226: INA2xxConstants(calibration: 2048, shuntDivisor: 400, busShift: 0, busLSBMicrovolts: 1250, powerFactor: 25, configuration: 0x4527)
        default: nil
        }
    }

    /// The driver's current LSB in µA for a shunt: DIV_ROUND_CLOSEST(DIV_ROUND_CLOSEST(10⁹,
    /// shunt_div), rshunt). The kernel refuses shunts above 10⁹/shunt_div µΩ (EINVAL).
    public static func ina2xxCurrentLSBMicroamps(_ chip: SensorType, shuntMicroohms: Int64) -> Int64? {
        guard let constants = ina2xxConstants(chip), shuntMicroohms > 0 else { return nil }
        let dividend = divRoundClosest(1_000_000_000, constants.shuntDivisor)
        guard shuntMicroohms <= dividend else { return nil }
        return divRoundClosest(dividend, shuntMicroohms)
    }

    /// in0_input (shunt, mV), in1_input (bus, mV), curr1_input (mA) and power1_input (µW) as
    /// ina2xx prints them for these register contents and `shunt_resistor` = `shuntMicroohms`.
    /// The current and power registers are scaled by the driver's LSB, which assumes the
    /// calibration register holds the driver's fixed value (`ina2xxConstants(chip).calibration`).
    public static func ina2xx(_ chip: SensorType, shuntMicroohms: Int64, shunt: UInt16, bus: UInt16,
                              power: UInt16, current: UInt16) -> [String: Int64]? {
        guard let constants = ina2xxConstants(chip),
              let currentLSB = ina2xxCurrentLSBMicroamps(chip, shuntMicroohms: shuntMicroohms) else { return nil }
        return [
            "in0_input": divRoundClosest(Int64(Int16(bitPattern: shunt)), constants.shuntDivisor),
            "in1_input": divRoundClosest(Int64(bus >> constants.busShift) * constants.busLSBMicrovolts, 1000),
            "curr1_input": divRoundClosest(Int64(Int16(bitPattern: current)) * currentLSB, 1000),
            "power1_input": Int64(power) * constants.powerFactor * currentLSB,
        ]
    }

    // MARK: ina3221

    /// in`n`_input (bus, mV), in`n+3`_input (shunt, µV — the driver's unit for these) and
    /// curr`n`_input (mA) as ina3221 prints them for channel `n` (1–3): the 13-bit fields
    /// sign-extended, bus × 8 mV, shunt × 40 µV, current DIV_ROUND_CLOSEST(shunt × 40000 nV, R µΩ).
    public static func ina3221(channel: Int, shuntMicroohms: Int64, shunt: UInt16, bus: UInt16) -> [String: Int64] {
        let shuntCounts = Int64(Int16(bitPattern: shunt) >> 3)
        let busCounts = Int64(Int16(bitPattern: bus) >> 3)
        var values = [
            "in\(channel)_input": busCounts * 8,
            "in\(channel + 3)_input": shuntCounts * 40,
        ]
        if shuntMicroohms > 0 {
            values["curr\(channel)_input"] = divRoundClosest(shuntCounts * 40_000, shuntMicroohms)
        }
        return values
    }

    // MARK: lm75, tmp102

    /// temp1_input (m°C) as lm75 prints it at `resolution` bits (9 for the "lm75" device type,
    /// 11 for "lm75b"): ((temp >> (16 − resolution)) × 1000) >> (resolution − 8), arithmetic shifts,
    /// so values between steps floor toward −∞.
    public static func lm75Millicelsius(_ register: UInt16, resolution: Int = 9) -> Int64 {
        precondition((9...16).contains(resolution), "lm75 resolutions are 9 to 16 bits")
        return (Int64(Int16(bitPattern: register) >> (16 - resolution)) * 1000) >> (resolution - 8)
    }

    /// temp1_input (m°C) as tmp102 prints it: ((reg & ~1) × 1000) / 128 with C's division
    /// (toward zero). The driver puts the chip in extended (13-bit) mode at probe and reads every
    /// register in that format.
    public static func tmp102Millicelsius(_ register: UInt16) -> Int64 {
        (Int64(Int16(bitPattern: register & ~1)) * 1000) / 128
    }
}
