import PinionI2C

extension I2CBusProvider {
    /// One line per I2C bus for the controller's start-up report (or the one line of advice when
    /// the buses cannot be listed).
    public func summaryLines() -> [String] {
        let listing = list()
        if let advice = listing.advice { return ["i2c: \(advice)"] }
        return listing.buses.map { "i2c: \($0.busName) \($0.name)" }
    }
}
