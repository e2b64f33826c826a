/// What an emulated NPU can do and how fast: from the board's `[capabilities]` and `[emulation]`.
public struct EmulatedNPUSpec: Sendable, Hashable {
    public var modelFormats: [String]
    public var memoryBytes: UInt64
    /// Multiply-accumulates per second.
    public var macsPerSecond: Double
    /// Fixed cost of one inference on the board (dispatch, DMA set-up), seconds.
    public var overheadSeconds: Double
    /// INFER requests held at once (queued plus computing); more are answered BUSY.
    public var maxInFlight: Int

    public init(modelFormats: [String] = ["pinion-int8"], memoryBytes: UInt64 = 64 << 20, macsPerSecond: Double = 2e11,
                overheadSeconds: Double = 20e-6, maxInFlight: Int = 16) {
        self.modelFormats = modelFormats
        self.memoryBytes = memoryBytes
        self.macsPerSecond = macsPerSecond
        self.overheadSeconds = overheadSeconds
        self.maxInFlight = maxInFlight
    }

    /// Seconds one inference of a model with `macs` multiply-accumulates takes on this board.
    public func computeSeconds(macs: Int) -> Double { overheadSeconds + Double(macs) / macsPerSecond }
}
