/// The blobs a FunctionFS function's ep0 takes before it can be bound (Linux
/// include/uapi/linux/usb/functionfs.h): the descriptors (format v2, full- and high-speed sets)
/// and the strings its interfaces name. Device and configuration descriptors are the gadget's
/// (configfs), not the function's.
public struct FunctionFSDescriptors: Sendable, Hashable {
    /// One bulk endpoint; its number is the function's own (the UDC may assign another address).
    public struct Endpoint: Sendable, Hashable {
        public var number: UInt8
        public var isIn: Bool

        public init(number: UInt8, isIn: Bool) {
            self.number = number
            self.isIn = isIn
        }
    }

    public struct Interface: Sendable, Hashable {
        public var interfaceClass: UInt8
        public var subclass: UInt8
        public var interfaceProtocol: UInt8
        /// Its name, a string the blob carries.
        public var name: String
        public var endpoints: [Endpoint]
        /// Class-specific descriptors after the interface descriptor (a DFU functional descriptor).
        public var classDescriptors: [[UInt8]]

        public init(interfaceClass: UInt8, subclass: UInt8 = 0, interfaceProtocol: UInt8 = 0, name: String,
                    endpoints: [Endpoint] = [], classDescriptors: [[UInt8]] = []) {
            self.interfaceClass = interfaceClass
            self.subclass = subclass
            self.interfaceProtocol = interfaceProtocol
            self.name = name
            self.endpoints = endpoints
            self.classDescriptors = classDescriptors
        }
    }

    static let descriptorsMagicV2: UInt32 = 3
    static let stringsMagic: UInt32 = 2
    static let hasFullSpeed: UInt32 = 1
    static let hasHighSpeed: UInt32 = 2

    public var interfaces: [Interface]

    public init(interfaces: [Interface]) {
        self.interfaces = interfaces
    }

    /// The same interfaces without class-specific descriptors, for kernels whose FunctionFS
    /// refuses them (Linux 6.1 accepts them only for HID and CCID interfaces).
    public var withoutClassDescriptors: FunctionFSDescriptors {
        FunctionFSDescriptors(interfaces: interfaces.map { var copy = $0; copy.classDescriptors = []; return copy })
    }

    /// The descriptors blob: header, counts, then the full-speed (64-byte bulk packets) and
    /// high-speed (512) sets.
    public var descriptorsBlob: [UInt8] {
        let fullSpeed = set(maxPacket: 64)
        let highSpeed = set(maxPacket: 512)
        var body: [UInt8] = []
        body.appendLE(UInt32(fullSpeed.count))
        body.appendLE(UInt32(highSpeed.count))
        body += fullSpeed.bytes + highSpeed.bytes
        var blob: [UInt8] = []
        blob.appendLE(Self.descriptorsMagicV2)
        blob.appendLE(UInt32(12 + body.count))
        blob.appendLE(Self.hasFullSpeed | Self.hasHighSpeed)
        return blob + body
    }

    /// The strings blob: one language (en-US), the interfaces' names in order (string 1, 2, ...).
    public var stringsBlob: [UInt8] {
        var strings: [UInt8] = []
        for interface in interfaces { strings += Array(interface.name.utf8) + [0] }
        var blob: [UInt8] = []
        blob.appendLE(Self.stringsMagic)
        blob.appendLE(UInt32(16 + 2 + strings.count))
        blob.appendLE(UInt32(interfaces.count))
        blob.appendLE(UInt32(1))
        blob.appendLE(UInt16(0x0409))
        return blob + strings
    }

    private func set(maxPacket: UInt16) -> (count: Int, bytes: [UInt8]) {
        var count = 0
        var bytes: [UInt8] = []
        for (number, interface) in interfaces.enumerated() {
            bytes += [9, 4, UInt8(number), 0, UInt8(interface.endpoints.count), interface.interfaceClass, interface.subclass,
                      interface.interfaceProtocol, UInt8(number + 1)]
            count += 1
            for extra in interface.classDescriptors {
                bytes += extra
                count += 1
            }
            for endpoint in interface.endpoints {
                bytes += [7, 5, endpoint.number | (endpoint.isIn ? 0x80 : 0), 0x02, UInt8(maxPacket & 0xFF), UInt8(maxPacket >> 8), 0]
                count += 1
            }
        }
        return (count, bytes)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
