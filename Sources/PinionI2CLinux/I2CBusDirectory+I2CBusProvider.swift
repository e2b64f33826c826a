import PinionI2C

extension I2CBusDirectory: I2CBusProvider {
    public func openBus(_ number: Int, taps: [any I2CTap]) throws(I2CError) -> any I2CBus {
        try open(number, taps: taps)
    }
}
