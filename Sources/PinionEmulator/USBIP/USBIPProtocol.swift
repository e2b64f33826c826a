import PinionUSB

/// USB/IP wire format (Linux Documentation/usb/usbip_protocol.rst, version 1.1.1): all
/// integers big-endian. Pure encoding and decoding; `USBIPServer` does the I/O.
public enum USBIPProtocol {
    public static let version: UInt16 = 0x0111
    public static let opRequestDeviceList: UInt16 = 0x8005
    public static let opReplyDeviceList: UInt16 = 0x0005
    public static let opRequestImport: UInt16 = 0x8003
    public static let opReplyImport: UInt16 = 0x0003
    public static let commandSubmit: UInt32 = 1
    public static let commandUnlink: UInt32 = 2
    public static let returnSubmit: UInt32 = 3
    public static let returnUnlink: UInt32 = 4
    /// Every CMD_*/RET_* header is 48 bytes.
    public static let headerLength = 48
    /// URB status values are negative errno.
    public static let statusStall: Int32 = -32       // -EPIPE
    public static let statusUnlinked: Int32 = -104   // -ECONNRESET
    public static let statusNoDevice: Int32 = -19    // -ENODEV
    public static let statusTimeout: Int32 = -110    // -ETIMEDOUT
    public static let statusOverflow: Int32 = -75    // -EOVERFLOW

    /// The kernel's `enum usb_device_speed`.
    public static func speedCode(_ speed: USBSpeed) -> UInt32 {
        switch speed {
        case .unknown: 0
        case .low: 1
        case .full: 2
        case .high: 3
        case .superSpeed: 5
        case .superSpeedPlus: 6
        }
    }
}

/// One exported device as OP_REP_DEVLIST and OP_REP_IMPORT describe it.
public struct USBIPDeviceRecord: Sendable, Hashable {
    public var path: String
    public var busID: String
    public var busNumber: UInt32
    public var deviceNumber: UInt32
    public var speed: USBSpeed
    public var descriptor: USBDeviceDescriptor
    public var configurationValue: UInt8
    public var interfaces: [USBInterfaceSetting]

    /// devid in CMD_SUBMIT and in the vhci attach line: busnum << 16 | devnum.
    public var deviceID: UInt32 { busNumber << 16 | deviceNumber }

    /// The 312-byte usbip_usb_device, followed by 4 bytes per interface when `withInterfaces`.
    public func encoded(withInterfaces: Bool) -> [UInt8] {
        var out = USBIPBytes.fixedString(path, length: 256) + USBIPBytes.fixedString(busID, length: 32)
        out += USBIPBytes.be32(busNumber) + USBIPBytes.be32(deviceNumber) + USBIPBytes.be32(USBIPProtocol.speedCode(speed))
        out += USBIPBytes.be16(descriptor.id.vendor) + USBIPBytes.be16(descriptor.id.product) + USBIPBytes.be16(descriptor.deviceVersion)
        let firstSettings = interfaces.filter { $0.alternateSetting == 0 }
        out += [descriptor.deviceClass, descriptor.deviceSubclass, descriptor.deviceProtocol, configurationValue,
                descriptor.configurationCount, UInt8(firstSettings.count)]
        if withInterfaces {
            for setting in firstSettings {
                out += [setting.interfaceClass, setting.interfaceSubclass, setting.interfaceProtocol, 0]
            }
        }
        return out
    }
}

/// The fixed part of CMD_SUBMIT or CMD_UNLINK as it arrives.
public struct USBIPCommandHeader: Sendable, Hashable {
    public var command: UInt32
    public var sequenceNumber: UInt32
    public var deviceID: UInt32
    /// 0 OUT, 1 IN.
    public var direction: UInt32
    /// Endpoint number 0–15 (no direction bit).
    public var endpoint: UInt32
    /// CMD_SUBMIT: transfer_buffer_length. CMD_UNLINK: unused.
    public var transferLength: UInt32
    /// CMD_SUBMIT: number_of_packets (0xffffffff or 0 for non-isochronous).
    public var packetCount: Int32
    /// CMD_SUBMIT: the SETUP packet (endpoint 0).
    public var setup: [UInt8]
    /// CMD_UNLINK: the seqnum of the URB to unlink.
    public var unlinkSequenceNumber: UInt32

    /// Decodes a 48-byte header; nil when it is not 48 bytes or not a command.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == USBIPProtocol.headerLength else { return nil }
        command = USBIPBytes.read32(bytes, 0)
        guard command == USBIPProtocol.commandSubmit || command == USBIPProtocol.commandUnlink else { return nil }
        sequenceNumber = USBIPBytes.read32(bytes, 4)
        deviceID = USBIPBytes.read32(bytes, 8)
        direction = USBIPBytes.read32(bytes, 12)
        endpoint = USBIPBytes.read32(bytes, 16)
        transferLength = USBIPBytes.read32(bytes, 24)
        packetCount = Int32(bitPattern: USBIPBytes.read32(bytes, 32))
        setup = Array(bytes[40..<48])
        unlinkSequenceNumber = USBIPBytes.read32(bytes, 20)
    }

    public var isIn: Bool { direction == 1 }
    /// bEndpointAddress with the direction bit.
    public var endpointAddress: UInt8 { UInt8(endpoint & 0x0F) | (isIn ? 0x80 : 0) }
}

/// Builders for what the server sends.
public enum USBIPReply {
    public static func deviceList(_ records: [USBIPDeviceRecord]) -> [UInt8] {
        USBIPBytes.be16(USBIPProtocol.version) + USBIPBytes.be16(USBIPProtocol.opReplyDeviceList) + USBIPBytes.be32(0)
            + USBIPBytes.be32(UInt32(records.count)) + records.flatMap { $0.encoded(withInterfaces: true) }
    }

    /// Status 0 with the device, or status 1 (error) without.
    public static func importDevice(_ record: USBIPDeviceRecord?) -> [UInt8] {
        USBIPBytes.be16(USBIPProtocol.version) + USBIPBytes.be16(USBIPProtocol.opReplyImport)
            + USBIPBytes.be32(record == nil ? 1 : 0) + (record?.encoded(withInterfaces: false) ?? [])
    }

    /// RET_SUBMIT: status (0 or -errno), actual length, then the IN data.
    public static func submit(sequenceNumber: UInt32, status: Int32, actualLength: Int, data: [UInt8]) -> [UInt8] {
        var out = USBIPBytes.be32(USBIPProtocol.returnSubmit) + USBIPBytes.be32(sequenceNumber) + [UInt8](repeating: 0, count: 12)
        out += USBIPBytes.be32(UInt32(bitPattern: status)) + USBIPBytes.be32(UInt32(actualLength))
        out += USBIPBytes.be32(0) + USBIPBytes.be32(0xFFFF_FFFF) + USBIPBytes.be32(0) + [UInt8](repeating: 0, count: 8)
        return out + data
    }

    /// RET_UNLINK: -ECONNRESET when the URB was unlinked, 0 when it had already completed.
    public static func unlink(sequenceNumber: UInt32, status: Int32) -> [UInt8] {
        USBIPBytes.be32(USBIPProtocol.returnUnlink) + USBIPBytes.be32(sequenceNumber) + [UInt8](repeating: 0, count: 12)
            + USBIPBytes.be32(UInt32(bitPattern: status)) + [UInt8](repeating: 0, count: 24)
    }
}

/// Big-endian helpers for the USB/IP codec.
public enum USBIPBytes {
    public static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }
    public static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
    public static func read16(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }
    public static func read32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
    /// A NUL-padded fixed-length string field.
    public static func fixedString(_ text: String, length: Int) -> [UInt8] {
        let utf8 = Array(text.utf8.prefix(length - 1))
        return utf8 + [UInt8](repeating: 0, count: length - utf8.count)
    }
    public static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
