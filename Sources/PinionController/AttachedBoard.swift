/// A catalogued board that is attached (in any mode), as metrics and telemetry show it.
public struct AttachedBoard: Sendable, Hashable {
    public var serial: String
    /// The catalogue id of its model (`boards/<id>.toml`).
    public var model: String
    /// `runtime`, `bootloader`, … (`unknown` when the catalogue cannot tell).
    public var mode: String
    /// The firmware version its HELLO gave, or its USB bcdDevice when it is not linked.
    public var firmware: String
    public var usbPath: String
    /// How tasks reach it once linked: `pinion` (board protocol) or `exec` (a vendor runtime); nil when not linked.
    public var runtime: String?
    /// Its last TELEMETRY, once read.
    public var celsius: Double?
    public var watts: Double?
    /// Why it is not at work, when the linker knows (`in its bootloader, not booted: …`).
    public var problem: String? = nil
}

/// A board arrived (after it was linked, if it could be) or gone, as `BoardLinker` tells its observers.
public enum BoardLinkEvent: Sendable, Hashable {
    case attached(AttachedBoard)
    case detached(serial: String)
}
