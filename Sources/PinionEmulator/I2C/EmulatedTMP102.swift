import PinionI2C
import PinionSensors

/// A TI TMP102 digital thermometer (SBOS397): a 2-bit pointer register selects temperature 0x00
/// (read-only; 12-bit in bits 15:4 at 0.0625 °C, or 13-bit in bits 15:3 with bit 0 set when the
/// configuration's EM bit is set), configuration 0x01 (POR 0x60A0; R1/R0 and AL read-only),
/// T_LOW 0x02 (POR 75 °C = 0x4B00) and T_HIGH 0x03 (POR 80 °C = 0x5000). The temperature starts at 25 °C.
public final class EmulatedTMP102: EmulatedI2CDevice {
    let core: RegisterChipCore

    /// Register 0x00 holds the temperature in 1/16 °C; the read hook encodes it per the EM bit.
    public init(celsius: Double = 25) {
        core = RegisterChipCore(RegisterFile([
            0x00: .readOnly(reset: 400),
            0x01: .readWrite(reset: 0x60A0, mask: 0x1FD0),
            0x02: .readWrite(reset: 0x4B00, mask: 0xFFF0),
            0x03: .readWrite(reset: 0x5000, mask: 0xFFF0),
        ], pointerMask: 0x03), read: { register, file in
            register == 0x00 ? Self.encodedTemperature(file) : file[register]
        })
        setTemperature(celsius: celsius)
    }

    /// Sets the measured temperature (rounded to 0.0625 °C, clamped to −55…150 °C; above 128 °C
    /// reads as 127.9375 °C unless extended mode is on).
    public func setTemperature(celsius: Double) {
        let sixteenths = Int64(max(-880, min(2400, (celsius * 16).rounded())))
        core.withFile { $0[0x00] = UInt64(bitPattern: sixteenths) }
    }

    /// The temperature register as the chip would send it now.
    public var temperatureRegister: UInt16 { core.withFile { UInt16(Self.encodedTemperature($0)) } }

    /// The stored value of `register` (for 0x00, the encoded temperature).
    public func peek(_ register: UInt8) -> UInt16 {
        core.withFile { UInt16(truncatingIfNeeded: register == 0x00 ? Self.encodedTemperature($0) : $0[register]) }
    }

    private static func encodedTemperature(_ file: RegisterFile) -> UInt64 {
        let sixteenths = Int64(bitPattern: file[0x00])
        if file[0x01] & 0x0010 != 0 {
            return UInt64(UInt16(bitPattern: Int16(max(-4096, min(4095, sixteenths))) << 3) | 1)
        }
        return UInt64(UInt16(bitPattern: Int16(max(-2048, min(2047, sixteenths))) << 4))
    }

    public func start(_ direction: I2CDirection) { core.start(direction) }
    public func write(_ byte: UInt8) -> Bool { core.write(byte) }
    public func read() -> UInt8 { core.read() }
    public func stop() {}
}

extension EmulatedTMP102 {
    /// The chip's entry in `EmulatedChips`: read by the `tmp102` driver, at 0x49 on an `EmulatedI2CChipSet`.
    static let chip = EmulatedChipDriver(type: .tmp102, chipSetAddress: 0x49) { EmulatedTMP102() }
}

extension EmulatedI2CChipSet {
    /// The TMP102 at 0x49.
    public var tmp102: EmulatedTMP102 { chip(.tmp102) }
}
