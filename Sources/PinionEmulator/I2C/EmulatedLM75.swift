import PinionI2C
import PinionSensors

/// An LM75 digital thermometer (NXP LM75B / TI LM75A register map): a 2-bit pointer register
/// selects temperature 0x00 (read-only, 9-bit two's complement in bits 15:7, 0.5 °C), configuration
/// 0x01 (8-bit, POR 0x00), THYST 0x02 (POR 75 °C = 0x4B00) and TOS 0x03 (POR 80 °C = 0x5000).
/// Pointer bits above the lowest two are ignored. The temperature starts at 25 °C.
public final class EmulatedLM75: EmulatedI2CDevice {
    let core: RegisterChipCore

    public init(celsius: Double = 25) {
        core = RegisterChipCore(RegisterFile([
            0x00: .readOnly(reset: 0x1900),
            0x01: .readWrite(1, reset: 0x00, mask: 0x1F),
            0x02: .readWrite(reset: 0x4B00, mask: 0xFF80),
            0x03: .readWrite(reset: 0x5000, mask: 0xFF80),
        ], pointerMask: 0x03))
        setTemperature(celsius: celsius)
    }

    /// Sets the measured temperature (rounded to 0.5 °C, clamped to −55…125 °C).
    public func setTemperature(celsius: Double) {
        let halves = Int16(max(-110, min(250, (celsius * 2).rounded())))
        core.withFile { $0[0x00] = UInt64(UInt16(bitPattern: halves << 7)) }
    }

    /// The temperature the chip reports.
    public var temperature: Double {
        Double(Int16(bitPattern: peek(0x00)) >> 7) / 2
    }

    /// The stored value of `register`.
    public func peek(_ register: UInt8) -> UInt16 { core.withFile { UInt16(truncatingIfNeeded: $0[register]) } }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

extension EmulatedLM75 {
    /// The chip's entry in `EmulatedChips`: read by the `lm75` driver, at 0x48 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .lm75, chipSetAddress: 0x48) { EmulatedLM75() }
}

extension EmulatedI2CChipSet {
    /// The LM75 at 0x48.
    public var lm75: EmulatedLM75 { chip(.lm75) }
}
