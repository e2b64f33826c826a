import PinionI2C
import PinionSensors

/// A TI INA228 20-bit power/energy monitor (SBOS938), with its mixed register widths:
/// 16-bit CONFIG 0x00 (bit 15 resets, bit 14 clears energy and charge), ADC_CONFIG 0x01
/// (POR 0xFB68), SHUNT_CAL 0x02 (POR 0x1000), SHUNT_TEMPCO 0x03; 24-bit VSHUNT 0x04, VBUS 0x05,
/// CURRENT 0x07, POWER 0x08 (20-bit values in bits 23:4 where the datasheet says so); 16-bit
/// DIETEMP 0x06; 40-bit ENERGY 0x09 and CHARGE 0x0A; DIAG_ALRT 0x0B (POR 0x0001, CNVRF bit 1
/// cleared by reading); limits 0x0C–0x11; MANUFACTURER_ID 0x3E = 0x5449, DEVICE_ID 0x3F = 0x2281.
///
/// Measured and accumulated registers can be set raw. Bound to an `EmulatedRail`
/// (`connect(to:)`), the chip converts continuously at the rate ADC_CONFIG sets and derives
/// VSHUNT, VBUS, CURRENT and POWER from the rail's average over the last completed conversion,
/// and ENERGY and CHARGE from everything the rail used over the conversions completed since the
/// accumulators were last cleared (CONFIG bit 14, or a reset), as the chip's accumulators do.
/// It models ADCRANGE 0 and 1 with a SHUNT_CAL programmed per the datasheet for either.
public final class EmulatedINA228: EmulatedRailMonitor {
    let core: RegisterChipCore
    private let binding: RailBinding

    public init() {
        let binding = RailBinding()
        self.binding = binding
        let file = RegisterFile([
            0x00: .readWrite(reset: 0x0000, mask: 0x3FF0),
            0x01: .readWrite(reset: 0xFB68),
            0x02: .readWrite(reset: 0x1000, mask: 0x7FFF),
            0x03: .readWrite(reset: 0x0000, mask: 0x3FFF),
            0x04: .readOnly(3),
            0x05: .readOnly(3),
            0x06: .readOnly(2),
            0x07: .readOnly(3),
            0x08: .readOnly(3),
            0x09: .readOnly(5),
            0x0A: .readOnly(5),
            0x0B: .readWrite(reset: 0x0001, mask: 0xF000),
            0x0C: .readWrite(reset: 0x7FFF),
            0x0D: .readWrite(reset: 0x8000),
            0x0E: .readWrite(reset: 0x7FFF, mask: 0x7FFF),
            0x0F: .readWrite(reset: 0x0000, mask: 0x7FFF),
            0x10: .readWrite(reset: 0x7FFF),
            0x11: .readWrite(reset: 0xFFFF),
            0x3E: .readOnly(reset: 0x5449),
            0x3F: .readOnly(reset: 0x2281),
        ])
        core = RegisterChipCore(file, read: { register, file in
            if (0x04...0x0B).contains(register) { Self.convert(binding, &file) }
            let value = file[register]
            if register == 0x0B { file[0x0B] &= ~0x0002 }
            return value
        }, write: { register, value, file in
            guard register == 0x00 else { return file.store(value, in: register) }
            if value & 0x8000 != 0 {
                binding.clearAccumulators()
                return file.resetWritableRegisters()
            }
            if value & 0x4000 != 0 {
                file[0x09] = 0
                file[0x0A] = 0
                binding.clearAccumulators()
            }
            file.store(value, in: 0x00)
        })
    }

    /// Wires the chip to `rail`: from now on its measurements and accumulators come from the rail's power model.
    public func connect(to rail: EmulatedRail) { binding.bind(rail) }

    /// Publishes the last completed conversion of the bound rail, if there is a newer one.
    private static func convert(_ binding: RailBinding, _ file: inout RegisterFile) {
        let adc = file[0x01]
        let mode = adc >> 12 & 0x7
        let average = averagingCounts[Int(adc & 0x7)]
        let bus = mode & 0x1 != 0 ? ina228ConversionTimes[Int(adc >> 9 & 0x7)] : 0
        let shunt = mode & 0x2 != 0 ? ina228ConversionTimes[Int(adc >> 6 & 0x7)] : 0
        let temperature = mode & 0x4 != 0 ? ina228ConversionTimes[Int(adc >> 3 & 0x7)] : 0
        binding.refresh(period: (bus + shunt + temperature) * average) { conversion, rail, state in
            let range4x = file[0x00] & 0x0010 != 0
            let calibration = Double(file[0x02] & 0x7FFF)
            guard calibration > 0 else { return }
            let shuntCount = conversion.shuntVolts / (range4x ? 78.125e-9 : 312.5e-9)
            let busCount = conversion.busVolts / 195.3125e-6
            let current = (shuntCount.rounded() * 4096 / calibration).rounded(.towardZero)
            let power = (abs(current) * busCount.rounded() / 16384).rounded(.towardZero)
            file[0x04] = twentyBit(Int32(max(-0x80000, min(0x7FFFF, shuntCount.rounded()))))
            file[0x05] = UInt64(UInt32(max(0, min(0xFFFFF, busCount.rounded())))) << 4
            file[0x07] = twentyBit(Int32(max(-0x80000, min(0x7FFFF, current))))
            file[0x08] = UInt64(max(0, min(0xFF_FFFF, power)))
            // The accumulators integrate every conversion since they were cleared.
            let currentLSB = calibration / (13107.2e6 * rail.shuntOhms * (range4x ? 4 : 1))
            let total = rail.model.energy(upTo: conversion.end)
            let start = state.accumulatedFrom ?? total
            state.accumulatedFrom = start
            let joules = total - start
            file[0x09] = UInt64(max(0, joules / (16 * 3.2 * currentLSB)).rounded(.down)) & 0xFF_FFFF_FFFF
            let coulombs = joules / conversion.busVolts
            file[0x0A] = UInt64(bitPattern: Int64((coulombs / currentLSB).rounded(.towardZero))) & 0xFF_FFFF_FFFF
            file[0x0B] |= 0x0002
        }
    }

    /// Sets VSHUNT: a signed 20-bit count (312.5 nV/LSB with ADCRANGE = 0, 78.125 nV with ADCRANGE = 1).
    public func setShuntVoltage(raw: Int32) { setMeasured(0x04, value: Self.twentyBit(raw)) }

    /// Sets VBUS: a 20-bit count of 195.3125 µV.
    public func setBusVoltage(raw: UInt32) { setMeasured(0x05, value: UInt64(raw & 0xFFFFF) << 4) }

    /// Sets DIETEMP: a signed count of 7.8125 m°C.
    public func setDieTemperature(raw: Int16) { setMeasured(0x06, value: UInt64(UInt16(bitPattern: raw))) }

    /// Sets CURRENT: a signed 20-bit count of CURRENT_LSB.
    public func setCurrent(raw: Int32) { setMeasured(0x07, value: Self.twentyBit(raw)) }

    /// Sets POWER: a 24-bit count of 3.2 × CURRENT_LSB.
    public func setPower(raw: UInt32) { setMeasured(0x08, value: UInt64(raw & 0xFF_FFFF)) }

    /// Sets ENERGY: a 40-bit count of 16 × 3.2 × CURRENT_LSB.
    public func setEnergy(raw: UInt64) { setMeasured(0x09, value: raw & 0xFF_FFFF_FFFF) }

    /// Sets CHARGE: a signed 40-bit count of CURRENT_LSB.
    public func setCharge(raw: Int64) { setMeasured(0x0A, value: UInt64(bitPattern: raw) & 0xFF_FFFF_FFFF) }

    /// The stored value of `register` (up to 40 bits), without a read's side effects.
    public func peek(_ register: UInt8) -> UInt64 { core.withFile { $0[register] } }

    private func setMeasured(_ register: UInt8, value: UInt64) {
        core.withFile { file in
            file[register] = value
            file[0x0B] |= 0x0002
        }
    }

    private static func twentyBit(_ raw: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: max(-0x80000, min(0x7FFFF, raw)) << 4) & 0xFF_FFFF)
    }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

extension EmulatedINA228 {
    /// The chip's entry in `EmulatedChips`: read by the `ina228` driver, at 0x44 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .ina228, chipSetAddress: 0x44) { EmulatedINA228() }
}

extension EmulatedI2CChipSet {
    /// The INA228 at 0x44.
    public var ina228: EmulatedINA228 { chip(.ina228) }
}
