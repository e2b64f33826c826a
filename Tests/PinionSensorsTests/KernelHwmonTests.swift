import PinionEmulator
import PinionI2C
import PinionSensors
import Testing

/// The kernel drivers' integer arithmetic, worked by hand from their source, and Pinion's SI
/// values agreeing with it to the kernel's rounding.
@Suite("Kernel hwmon arithmetic")
struct KernelHwmonTests {
    @Test(arguments: [
        (5, 2, 3), (-5, 2, -3), (4, 2, 2), (0, 400, 0), (200, 400, 1), (199, 400, 0), (-200, 400, -1), (-199, 400, 0),
        (11_983_750, 1000, 11_984), (-308_500, 1000, -309),
    ] as [(Int64, Int64, Int64)])
    func divRoundClosestRoundsHalfAwayFromZero(dividend: Int64, divisor: Int64, result: Int64) {
        #expect(KernelHwmon.divRoundClosest(dividend, divisor) == result)
    }

    @Test func ina2xxCurrentLSB() {
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.ina226, shuntMicroohms: 10_000) == 250)
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.ina226, shuntMicroohms: 2_000) == 1_250)
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.ina226, shuntMicroohms: 3_000) == 833)
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.ina219, shuntMicroohms: 100_000) == 100)
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.ina226, shuntMicroohms: 2_500_001) == nil, "the kernel refuses it (EINVAL)")
        #expect(KernelHwmon.ina2xxCurrentLSBMicroamps(.lm75, shuntMicroohms: 10_000) == nil)
        #expect(KernelHwmon.microohms(0.002) == 2_000)
    }

    /// The INA226 datasheet example's registers with shunt_resistor = 10000 (the kernel's
    /// default): 20 mV, 11980 mV, 10000 × 250 µA = 2500 mA, 4792 × 6250 µW.
    @Test func ina226DatasheetRegistersAsTheKernelPrintsThem() {
        let values = KernelHwmon.ina2xx(.ina226, shuntMicroohms: 10_000, shunt: 0x1F40, bus: 0x2570, power: 0x12B8, current: 0x2710)
        #expect(values == ["in0_input": 20, "in1_input": 11_980, "curr1_input": 2_500, "power1_input": 29_950_000])
        let negative = KernelHwmon.ina2xx(.ina226, shuntMicroohms: 10_000, shunt: 0xFF38, bus: 0x2573, power: 0x0001, current: 0xFB2E)
        #expect(negative == ["in0_input": -1, "in1_input": 11_984, "curr1_input": -309, "power1_input": 6_250])
    }

    @Test func ina219DatasheetRegistersAsTheKernelPrintsThem() {
        // shunt_resistor = 2000 µΩ: current LSB 5000 µA (the kernel's CAL is 4096, not the example's 20480).
        let values = KernelHwmon.ina2xx(.ina219, shuntMicroohms: 2_000, shunt: 0x07D0, bus: 0x5D98, power: 0x1766, current: 0x2710)
        #expect(values == ["in0_input": 20, "in1_input": 11_980, "curr1_input": 50_000, "power1_input": 5990 * 20 * 5000])
    }

    @Test func lm75AndTMP102() {
        #expect(KernelHwmon.lm75Millicelsius(0xE700) == -25_000)
        #expect(KernelHwmon.lm75Millicelsius(0xE6E0) == -25_500, "floors toward −∞ like Pinion")
        #expect(KernelHwmon.lm75Millicelsius(0x1960) == 25_000)
        #expect(KernelHwmon.lm75Millicelsius(0x1960, resolution: 11) == 25_375)
        #expect(KernelHwmon.tmp102Millicelsius(0x4B01) == 150_000)
        #expect(KernelHwmon.tmp102Millicelsius(0x0009) == 62, "0.0625 °C truncates toward zero")
        #expect(KernelHwmon.tmp102Millicelsius(0xFFF9) == -62)
        #expect(KernelHwmon.tmp102Millicelsius(0xFFF1) == -125)
    }

    /// Pinion's INA226 reading, rounded the kernel's way, equals the kernel's value for every
    /// register content tried, when Pinion's calibration is the kernel's (CAL 2048 on 10 mΩ).
    @Test func pinionAgreesWithTheKernelToItsRounding() throws {
        let bench = Bench()
        let ina = INA226(bus: bench.bus, address: 0x41, calibration: .init(shuntOhms: 0.01, registerValue: 2048))
        let samples: [(UInt16, UInt16, UInt16, UInt16)] = [
            (0x1F40, 0x2570, 0x12B8, 0x2710), (0xFF38, 0x2573, 0x0001, 0xFB2E), (0x0001, 0x0001, 0xFFFF, 0x8000),
            (0x7FFF, 0x7FFF, 0x0000, 0x7FFF), (0x00C8, 0x0000, 0x0190, 0xFFFF),
        ]
        for (shunt, bus, power, current) in samples {
            let raw = INA226.RawReading(shunt: shunt, bus: bus, power: power, current: current)
            let reading = ina.reading(from: raw)
            let si = try #require(reading.power)
            let kernel = try #require(reading.hwmon)
            #expect(halfAwayFromZero(si.shuntVolts * 1000) == kernel["in0_input"], "shunt \(shunt)")
            #expect(halfAwayFromZero(si.busVolts * 1000) == kernel["in1_input"], "bus \(bus)")
            #expect(halfAwayFromZero(si.amperes * 1000) == kernel["curr1_input"], "current \(current)")
            #expect(halfAwayFromZero(si.watts * 1_000_000) == kernel["power1_input"], "power \(power)")
        }
    }

    /// Rounds the way DIV_ROUND_CLOSEST does, on a value that is a tiny bit off a half because
    /// of binary floating point (0.5 mV may be 0.49999…): snaps to 1e-9 first.
    func halfAwayFromZero(_ value: Double) -> Int64 {
        let snapped = (value * 1e9).rounded() / 1e9
        return Int64(snapped.rounded(.toNearestOrAwayFromZero))
    }
}
