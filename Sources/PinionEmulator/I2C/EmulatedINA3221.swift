import PinionI2C
import PinionSensors

/// A TI INA3221 three-channel shunt and bus monitor (SBOS576): configuration 0x00 (POR 0x7127,
/// bit 15 resets); per channel n (1–3) shunt voltage at 2n−1 (40 µV/LSB) and bus voltage at 2n
/// (8 mV/LSB), both 13-bit in bits 15:3; critical and warning limits 0x07–0x0C (POR 0x7FF8);
/// shunt-voltage sum 0x0D (channels chosen by mask/enable SCC bits) and its limit 0x0E;
/// mask/enable 0x0F (POR 0x0002, CVRF bit 0 cleared by reading); power-valid limits 0x10
/// (0x2710) and 0x11 (0x2328); manufacturer ID 0xFE = 0x5449, die ID 0xFF = 0x3220.
/// It has no current or power registers: the host divides shunt voltage by the resistance.
public final class EmulatedINA3221: EmulatedI2CDevice {
    let core: RegisterChipCore

    public init() {
        var specs: [UInt8: RegisterSpec] = [
            0x00: .readWrite(reset: 0x7127, mask: 0x7FFF),
            0x0D: .readOnly(),
            0x0E: .readWrite(reset: 0x7FFE, mask: 0xFFFE),
            0x0F: .readWrite(reset: 0x0002, mask: 0x7C00),
            0x10: .readWrite(reset: 0x2710, mask: 0xFFF8),
            0x11: .readWrite(reset: 0x2328, mask: 0xFFF8),
            0xFE: .readOnly(reset: 0x5449),
            0xFF: .readOnly(reset: 0x3220),
        ]
        for register in UInt8(0x01)...0x06 { specs[register] = .readOnly() }
        for register in UInt8(0x07)...0x0C { specs[register] = .readWrite(reset: 0x7FF8, mask: 0xFFF8) }
        core = RegisterChipCore(RegisterFile(specs), read: { register, file in
            switch register {
            case 0x0D: return Self.shuntSum(file)
            case 0x0F:
                let value = file[0x0F]
                file[0x0F] &= ~0x0001
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

    /// Sets channel `channel` (1–3)'s shunt voltage: a signed 13-bit count of 40 µV.
    public func setShuntVoltage(channel: Int, raw: Int16) {
        precondition((1...3).contains(channel), "INA3221 channels are 1 to 3")
        setMeasured(UInt8(2 * channel - 1), UInt16(bitPattern: max(-4096, min(4095, raw)) << 3))
    }

    /// Sets channel `channel`'s shunt voltage in volts (rounded to 40 µV).
    public func setShuntVoltage(channel: Int, volts: Double) {
        setShuntVoltage(channel: channel, raw: clampedInt16(volts / 40e-6))
    }

    /// Sets channel `channel` (1–3)'s bus voltage: a 13-bit count of 8 mV.
    public func setBusVoltage(channel: Int, raw: UInt16) {
        precondition((1...3).contains(channel), "INA3221 channels are 1 to 3")
        setMeasured(UInt8(2 * channel), min(raw, 0x0FFF) << 3)
    }

    /// Sets channel `channel`'s bus voltage in volts (rounded to 8 mV).
    public func setBusVoltage(channel: Int, volts: Double) {
        setBusVoltage(channel: channel, raw: clampedUInt16(volts / 8e-3))
    }

    /// What `register` reads as now, without a read's side effects.
    public func peek(_ register: UInt8) -> UInt16 {
        core.withFile { file in
            UInt16(truncatingIfNeeded: register == 0x0D ? Self.shuntSum(file) : file[register])
        }
    }

    private func setMeasured(_ register: UInt8, _ value: UInt16) {
        core.withFile { file in
            file[register] = UInt64(value)
            file[0x0F] |= 0x0001
        }
    }

    private static func shuntSum(_ file: RegisterFile) -> UInt64 {
        let enabled = file[0x0F]
        var sum = 0
        for channel in 1...3 where enabled & (0x8000 >> UInt64(channel)) != 0 {
            sum += Int(Int16(bitPattern: UInt16(truncatingIfNeeded: file[UInt8(2 * channel - 1)]))) >> 3
        }
        return UInt64(UInt16(bitPattern: Int16(max(-16384, min(16383, sum))) << 1))
    }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

extension EmulatedINA3221 {
    /// The chip's entry in `EmulatedChips`: read by the `ina3221` driver, at 0x42 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .ina3221, chipSetAddress: 0x42) { EmulatedINA3221() }
}

extension EmulatedI2CChipSet {
    /// The INA3221 at 0x42.
    public var ina3221: EmulatedINA3221 { chip(.ina3221) }
}
