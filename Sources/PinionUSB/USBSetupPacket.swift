/// The 8-byte SETUP packet of a control transfer (USB 2.0 §9.3).
public struct USBSetupPacket: Hashable, Sendable, CustomStringConvertible {
    /// Request type bits 6:5.
    public enum Kind: UInt8, Sendable {
        case standard = 0, `class` = 1, vendor = 2, reserved = 3
    }

    /// Request type bits 4:0.
    public enum Recipient: UInt8, Sendable {
        case device = 0, interface = 1, endpoint = 2, other = 3
    }

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

    public init(direction: USBDirection, kind: Kind, recipient: Recipient, request: UInt8,
                value: UInt16 = 0, index: UInt16 = 0, length: UInt16 = 0) {
        self.init(requestType: (direction == .in ? 0x80 : 0) | kind.rawValue << 5 | recipient.rawValue,
                  request: request, value: value, index: index, length: length)
    }

    /// Parses the 8 bytes as they travel on the wire (and in USB/IP CMD_SUBMIT).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 8 else { return nil }
        self.init(requestType: bytes[0], request: bytes[1],
                  value: UInt16(bytes[2]) | UInt16(bytes[3]) << 8,
                  index: UInt16(bytes[4]) | UInt16(bytes[5]) << 8,
                  length: UInt16(bytes[6]) | UInt16(bytes[7]) << 8)
    }

    public var bytes: [UInt8] {
        [requestType, request, UInt8(truncatingIfNeeded: value), UInt8(value >> 8),
         UInt8(truncatingIfNeeded: index), UInt8(index >> 8), UInt8(truncatingIfNeeded: length), UInt8(length >> 8)]
    }

    public var direction: USBDirection { requestType & 0x80 != 0 ? .in : .out }
    public var kind: Kind { Kind(rawValue: (requestType >> 5) & 0x03)! }
    public var recipient: Recipient { Recipient(rawValue: requestType & 0x1F) ?? .other }

    public var description: String {
        func h(_ v: UInt16) -> String { String(v, radix: 16) }
        return "bmRequestType=0x\(String(requestType, radix: 16)) bRequest=0x\(String(request, radix: 16)) wValue=0x\(h(value)) wIndex=0x\(h(index)) wLength=\(length)"
    }

    /// Standard request codes (USB 2.0 table 9-4).
    public enum StandardRequest: UInt8, Sendable {
        case getStatus = 0, clearFeature = 1, setFeature = 3, setAddress = 5, getDescriptor = 6,
             setDescriptor = 7, getConfiguration = 8, setConfiguration = 9, getInterface = 10, setInterface = 11
    }

    /// GET_DESCRIPTOR for a descriptor type and index (and LANGID for strings).
    public static func getDescriptor(_ type: USBDescriptorType, index: UInt8 = 0, language: UInt16 = 0, length: UInt16) -> USBSetupPacket {
        USBSetupPacket(direction: .in, kind: .standard, recipient: .device,
                       request: StandardRequest.getDescriptor.rawValue,
                       value: UInt16(type.rawValue) << 8 | UInt16(index), index: language, length: length)
    }
}
