extension ChipRegisters {
    /// Reads the data registers INA219 and INA226 share: shunt voltage 0x01, bus voltage 0x02,
    /// power 0x03, current 0x04. When current and power read 0 although the shunt voltage does not,
    /// also reads calibration 0x05 and throws `.lostCalibration` if it is 0 while the driver
    /// programmed `calibration` (the chip was reset under the driver: the kernel's ina2xx makes
    /// the same check and re-initialises).
    func readINAData(calibration: UInt16) throws(SensorError) -> (shunt: UInt16, bus: UInt16, power: UInt16, current: UInt16) {
        let shunt = try read16(0x01, "read shunt voltage"), bus = try read16(0x02, "read bus voltage")
        let power = try read16(0x03, "read power"), current = try read16(0x04, "read current")
        if current == 0 && power == 0 && shunt != 0 && calibration != 0, try read16(0x05, "read calibration") == 0 {
            throw error(.lostCalibration, "read current")
        }
        return (shunt, bus, power, current)
    }
}

extension ChipRegisters {
    /// Reads a TI chip's manufacturer and device ID registers and throws `.wrongChip` (naming what
    /// answered) unless they are TI's and `dieID` (the device ID without its revision nibble).
    func identifyTI(manufacturerRegister: UInt8, deviceRegister: UInt8, dieID: UInt16) throws(SensorError) -> TIIdentity {
        let identity = TIIdentity(manufacturerID: try read16(manufacturerRegister, "identify"),
                                  deviceID: try read16(deviceRegister, "identify"))
        guard identity.manufacturerID == TIIdentity.texasInstruments, identity.dieID == dieID else {
            throw error(.wrongChip(found: identity.description), "identify")
        }
        return identity
    }
}
