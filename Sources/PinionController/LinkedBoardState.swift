/// A board the controller works with, as telemetry and metrics show it.
public struct LinkedBoardState: Sendable, Hashable {
    public var serial: String
    /// The catalogue id of its model (`boards/<id>.toml`).
    public var model: String
    /// `pinion` (board protocol) or `exec` (a vendor runtime).
    public var runtime: String
    public var firmware: String?
    public var usbPath: String
    /// From the board's TELEMETRY, when it reports it.
    public var celsius: Double?
    public var watts: Double?
}

/// A board linked or gone, as `BoardLinker` tells its observers.
public enum BoardLinkEvent: Sendable, Hashable {
    case linked(LinkedBoardState)
    case unlinked(serial: String)
}
