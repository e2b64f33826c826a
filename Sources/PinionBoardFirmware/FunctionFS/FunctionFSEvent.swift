/// One event read from a FunctionFS ep0 (`struct usb_functionfs_event`, 12 bytes).
public enum FunctionFSEvent: Sendable, Hashable {
    case bind, unbind, enable, disable, suspend, resume
    /// A control request for one of the function's interfaces (wIndex is the function's own
    /// interface number) or endpoints; its data stage is read or written on ep0.
    case setup(FunctionFSSetup)
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
                func le16(_ at: Int) -> UInt16 { UInt16(bytes[start + at]) | UInt16(bytes[start + at + 1]) << 8 }
                return .setup(FunctionFSSetup(requestType: bytes[start], request: bytes[start + 1], value: le16(2), index: le16(4), length: le16(6)))
            case 5: return .suspend
            case 6: return .resume
            default: return .unknown(type)
            }
        }
    }
}

/// The SETUP packet of a control request FunctionFS passes to user space.
public struct FunctionFSSetup: Sendable, Hashable {
    public var requestType: UInt8
    public var request: UInt8
    public var value: UInt16
    public var index: UInt16
    public var length: UInt16

    public init(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: UInt16) {
        self.requestType = requestType
        self.request = request
        self.value = value
        self.index = index
        self.length = length
    }

    public var isIn: Bool { requestType & 0x80 != 0 }
    /// Class request to an interface (bmRequestType 0x21 out, 0xA1 in): what DFU uses.
    public var isClassToInterface: Bool { requestType & 0x7F == 0x21 }
}
