import PinionI2C
import PinionSensors

/// A TI INA219 current/power monitor (SBOS448): configuration 0x00 (POR 0x399F, bit 15 resets),
/// shunt voltage 0x01 (10 µV/LSB), bus voltage 0x02 (bits 15:3, 4 mV/LSB; bit 1 CNVR, cleared by
/// reading power), power 0x03 and current 0x04 computed as the chip does from calibration 0x05
/// (current = shunt × cal / 4096, power = |current| × bus / 5000). No ID registers: the INA219
/// has none. Registers are 16-bit, MSB first; read-only registers ignore writes.
public final class EmulatedINA219: EmulatedI2CDevice {
    let core: RegisterChipCore

    public init() {
        let file = RegisterFile([
            0x00: .readWrite(reset: 0x399F, mask: 0x3FFF),
            0x01: .readOnly(),
            0x02: .readOnly(),
            0x03: .readOnly(),
            0x04: .readOnly(),
            0x05: .readWrite(reset: 0, mask: 0xFFFE),
        ])
        core = RegisterChipCore(file, read: { register, file in
            switch register {
            case 0x03:
                file[0x02] &= ~0x0002
                return Self.power(file)
            case 0x04: return Self.current(file)
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

    /// Sets the measured shunt voltage in LSBs of 10 µV.
    public func setShuntVoltage(raw: Int16) {
        core.withFile { file in
            file[0x01] = UInt64(UInt16(bitPattern: raw))
            file[0x02] |= 0x0002
        }
    }

    /// Sets the measured shunt voltage in volts (rounded to 10 µV, clamped to ±327.68 mV).
    public func setShuntVoltage(volts: Double) { setShuntVoltage(raw: clampedInt16(volts / 10e-6)) }

    /// Sets the measured bus voltage in LSBs of 4 mV (0–8191).
    public func setBusVoltage(raw: UInt16) {
        core.withFile { file in
            file[0x02] = UInt64(min(raw, 0x1FFF)) << 3 | 0x0002
        }
    }

    /// Sets the measured bus voltage in volts (rounded to 4 mV).
    public func setBusVoltage(volts: Double) { setBusVoltage(raw: clampedUInt16(volts / 4e-3)) }

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
        return min(max(shunt * Int(file[0x05]) / 4096, Int(Int16.min)), Int(Int16.max))
    }

    private static func current(_ file: RegisterFile) -> UInt64 {
        UInt64(UInt16(bitPattern: Int16(currentValue(file))))
    }

    private static func power(_ file: RegisterFile) -> UInt64 {
        UInt64(min(abs(currentValue(file)) * Int(file[0x02] >> 3) / 5000, 0xFFFF))
    }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

func clampedInt16(_ value: Double) -> Int16 {
    Int16(max(Double(Int16.min), min(Double(Int16.max), value.rounded())))
}

func clampedUInt16(_ value: Double) -> UInt16 {
    UInt16(max(0, min(Double(UInt16.max), value.rounded())))
}

extension EmulatedINA219 {
    /// The chip's entry in `EmulatedChips`: read by the `ina219` driver, at 0x40 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .ina219, chipSetAddress: 0x40) { EmulatedINA219() }
}

extension EmulatedI2CChipSet {
    /// The INA219 at 0x40.
    public var ina219: EmulatedINA219 { chip(.ina219) }
}
