import PinionI2C
import PinionSensors

/// A TI INA226 current/power monitor (SBOS547): configuration 0x00 (POR 0x4127, bits 14:12 fixed
/// at 100, bit 15 resets), shunt voltage 0x01 (2.5 µV/LSB), bus voltage 0x02 (1.25 mV/LSB),
/// power 0x03 and current 0x04 computed as the chip does from calibration 0x05
/// (current = shunt × cal / 2048, power = |current| × bus / 20000), mask/enable 0x06 (CVRF, bit 3,
/// set by a conversion and cleared by reading it), alert limit 0x07, manufacturer ID 0xFE = 0x5449
/// ("TI") and die ID 0xFF = 0x2260. Registers are 16-bit, MSB first; read-only registers ignore writes.
///
/// Bound to an `EmulatedRail` (`connect(to:)`), it converts continuously at the rate its
/// configuration sets (conversion times × averages) and shows the rail's average over the last
/// completed conversion in the shunt and bus registers.
public final class EmulatedINA226: EmulatedRailMonitor {
    let core: RegisterChipCore
    private let binding: RailBinding

    public init() {
        let binding = RailBinding()
        self.binding = binding
        let file = RegisterFile([
            0x00: .readWrite(reset: 0x4127, mask: 0x0FFF),
            0x01: .readOnly(),
            0x02: .readOnly(),
            0x03: .readOnly(),
            0x04: .readOnly(),
            0x05: .readWrite(reset: 0, mask: 0x7FFF),
            0x06: .readWrite(reset: 0, mask: 0xFC03),
            0x07: .readWrite(reset: 0),
            0xFE: .readOnly(reset: 0x5449),
            0xFF: .readOnly(reset: 0x2260),
        ])
        core = RegisterChipCore(file, read: { register, file in
            if (0x01...0x06).contains(register) { Self.convert(binding, &file) }
            switch register {
            case 0x03: return Self.power(file)
            case 0x04: return Self.current(file)
            case 0x06:
                let value = file[0x06]
                file[0x06] &= ~0x0018
                return value
            default: return file[register]
            }
        }, write: { register, value, file in
            if register == 0x00 && value & 0x8000 != 0 {
                file.resetWritableRegisters()
            } else {
                file.store(value, in: register)
            }
        })
    }

    /// Wires the chip to `rail`: from now on its measurements come from the rail's power model.
    public func connect(to rail: EmulatedRail) { binding.bind(rail) }

    /// Publishes the last completed conversion of the bound rail, if there is a newer one.
    private static func convert(_ binding: RailBinding, _ file: inout RegisterFile) {
        let config = file[0x00]
        let mode = config & 0x7
        let average = averagingCounts[Int(config >> 9 & 0x7)]
        let bus = mode & 0x2 != 0 ? ina226ConversionTimes[Int(config >> 6 & 0x7)] : 0
        let shunt = mode & 0x1 != 0 ? ina226ConversionTimes[Int(config >> 3 & 0x7)] : 0
        binding.refresh(period: (bus + shunt) * average) { conversion, _, _ in
            file[0x01] = UInt64(UInt16(bitPattern: clampedInt16(conversion.shuntVolts / 2.5e-6)))
            file[0x02] = UInt64(min(clampedUInt16(conversion.busVolts / 1.25e-3), 0x7FFF))
            file[0x06] |= 0x0008
        }
    }

    /// Sets the measured shunt voltage in LSBs of 2.5 µV.
    public func setShuntVoltage(raw: Int16) {
        core.withFile { file in
            file[0x01] = UInt64(UInt16(bitPattern: raw))
            file[0x06] |= 0x0008
        }
    }

    /// Sets the measured shunt voltage in volts (rounded to 2.5 µV, clamped to ±81.92 mV).
    public func setShuntVoltage(volts: Double) { setShuntVoltage(raw: clampedInt16(volts / 2.5e-6)) }

    /// Sets the measured bus voltage in LSBs of 1.25 mV (0–0x7FFF).
    public func setBusVoltage(raw: UInt16) {
        core.withFile { file in
            file[0x02] = UInt64(min(raw, 0x7FFF))
            file[0x06] |= 0x0008
        }
    }

    /// Sets the measured bus voltage in volts (rounded to 1.25 mV).
    public func setBusVoltage(volts: Double) { setBusVoltage(raw: clampedUInt16(volts / 1.25e-3)) }

    /// What `register` reads as now (computed registers included), without a read's side effects.
    public func peek(_ register: UInt8) -> UInt16 {
        core.withFile { file in
            switch register {
            case 0x03: UInt16(Self.power(file))
            case 0x04: UInt16(Self.current(file))
            default: UInt16(truncatingIfNeeded: file[register])
            }
        }
    }

    private static func currentValue(_ file: RegisterFile) -> Int {
        let shunt = Int(Int16(bitPattern: UInt16(truncatingIfNeeded: file[0x01])))
        return min(max(shunt * Int(file[0x05]) / 2048, Int(Int16.min)), Int(Int16.max))
    }

    private static func current(_ file: RegisterFile) -> UInt64 {
        UInt64(UInt16(bitPattern: Int16(currentValue(file))))
    }

    private static func power(_ file: RegisterFile) -> UInt64 {
        UInt64(min(abs(currentValue(file)) * Int(file[0x02]) / 20000, 0xFFFF))
    }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

extension EmulatedINA226 {
    /// The chip's entry in `EmulatedChips`: read by the `ina226` driver, at 0x41 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .ina226, chipSetAddress: 0x41) { EmulatedINA226() }
}

extension EmulatedI2CChipSet {
    /// The INA226 at 0x41.
    public var ina226: EmulatedINA226 { chip(.ina226) }
}
