import PinionUSB

/// One event read from a FunctionFS ep0 (`struct usb_functionfs_event`, 12 bytes).
public enum FunctionFSEvent: Sendable, Hashable {
    case bind, unbind, enable, disable, suspend, resume
    /// A control request for one of the function's interfaces (wIndex is the function's own
    /// interface number) or endpoints; its data stage is read or written on ep0.
    case setup(USBSetupPacket)
    case unknown(UInt8)

    public static let size = 12

    /// The events in `bytes` (a read of ep0 returns whole events).
    public static func parse(_ bytes: [UInt8]) -> [FunctionFSEvent] {
        stride(from: 0, to: bytes.count - size + 1, by: size).map { start in
            let type = bytes[start + 8]
            switch type {
            case 0: return .bind
            case 1: return .unbind
            case 2: return .enable
            case 3: return .disable
            case 4:
                return USBSetupPacket(bytes: Array(bytes[start..<start + 8])).map { .setup($0) } ?? .unknown(type)
            case 5: return .suspend
            case 6: return .resume
            default: return .unknown(type)
            }
        }
    }
}
