/// What a board's DFU run-time interface (DFU 1.1 §5.1) does with a class request, whatever the
/// transport: DETACH makes it leave for its bootloader, GETSTATUS and GETSTATE say appIDLE, the
/// rest stall. The emulated boards and `pinion-board` both answer with it.
public enum DFURuntimeAnswer: Sendable, Equatable {
    /// Acknowledge, then re-enumerate in the bootloader.
    case detach
    /// IN data for the host.
    case data([UInt8])
    case stall

    public init(request: UInt8, length: UInt16) {
        switch DFURequest(rawValue: request) {
        case .detach: self = .detach
        case .getStatus: self = .data(Array(DFUStatus(status: .ok, state: .appIdle).bytes.prefix(Int(length))))
        case .getState: self = .data([DFUState.appIdle.rawValue])
        default: self = .stall
        }
    }
}
