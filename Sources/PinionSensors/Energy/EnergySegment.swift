/// Energy a rail used over an interval, between two good samples.
public struct EnergySegment: Sendable, Hashable {
    public var start: Double
    public var end: Double
    public var joules: Double

    public init(start: Double, end: Double, joules: Double) {
        self.start = start
        self.end = end
        self.joules = joules
    }
}

/// An interval with no trustworthy measurement (a sensor down, samples too far apart, a
/// reset accumulator): reported as such, never filled in by a guess.
public struct EnergyGap: Sendable, Hashable, Codable {
    public var start: Double
    public var end: Double
    public var reason: String

    public init(start: Double, end: Double, reason: String) {
        self.start = start
        self.end = end
        self.reason = reason
    }

    public var seconds: Double { end - start }
}
