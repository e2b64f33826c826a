/// Standard descriptor type codes (USB 2.0 table 9-5) and the class-specific ones Pinion reads.
public enum USBDescriptorType: UInt8, Sendable {
    case device = 0x01
    case configuration = 0x02
    case string = 0x03
    case interface = 0x04
    case endpoint = 0x05
    case deviceQualifier = 0x06
    case interfaceAssociation = 0x0B
    case bos = 0x0F
    /// DFU functional descriptor (DFU 1.1 §4.1.3), class-specific to interfaces of class 0xFE/0x01.
    case dfuFunctional = 0x21
    case superSpeedEndpointCompanion = 0x30
}

/// The 18-byte device descriptor (USB 2.0 §9.6.1).
public struct USBDeviceDescriptor: Hashable, Sendable, Codable {
    /// bcdUSB, e.g. 0x0200.
    public var usbVersion: UInt16
    public var deviceClass: UInt8
    public var deviceSubclass: UInt8
    public var deviceProtocol: UInt8
    /// bMaxPacketSize0.
    public var maxPacketSize0: UInt8
    /// idVendor and idProduct.
    public var id: USBID
    /// bcdDevice: the device's release number, often its firmware version.
    public var deviceVersion: UInt16
    public var manufacturerIndex: UInt8
    public var productIndex: UInt8
    public var serialNumberIndex: UInt8
    public var configurationCount: UInt8

    public init(usbVersion: UInt16 = 0x0200, deviceClass: UInt8 = 0, deviceSubclass: UInt8 = 0, deviceProtocol: UInt8 = 0,
                maxPacketSize0: UInt8 = 64, id: USBID, deviceVersion: UInt16 = 0x0100,
                manufacturerIndex: UInt8 = 0, productIndex: UInt8 = 0, serialNumberIndex: UInt8 = 0,
                configurationCount: UInt8 = 1) {
        self.usbVersion = usbVersion
        self.deviceClass = deviceClass
        self.deviceSubclass = deviceSubclass
        self.deviceProtocol = deviceProtocol
        self.maxPacketSize0 = maxPacketSize0
        self.id = id
        self.deviceVersion = deviceVersion
        self.manufacturerIndex = manufacturerIndex
        self.productIndex = productIndex
        self.serialNumberIndex = serialNumberIndex
        self.configurationCount = configurationCount
    }
}

/// A descriptor Pinion keeps as bytes: class-specific or unknown ones that follow a
/// configuration, interface or endpoint descriptor (libusb calls these `extra`).
public struct USBRawDescriptor: Hashable, Sendable, Codable {
    /// bDescriptorType.
    public var type: UInt8
    /// The whole descriptor, bLength and bDescriptorType included.
    public var bytes: [UInt8]

    public init(type: UInt8, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }
}

/// One configuration (USB 2.0 §9.6.3) with everything its wTotalLength covers.
public struct USBConfiguration: Hashable, Sendable, Codable {
    /// bConfigurationValue, the value SET_CONFIGURATION takes.
    public var value: UInt8
    public var descriptionIndex: UInt8
    /// bmAttributes (bit 6 self-powered, bit 5 remote wakeup; bit 7 is always set).
    public var attributes: UInt8
    /// bMaxPower in the descriptor's units (2 mA below SuperSpeed, 8 mA at SuperSpeed).
    public var maxPowerUnits: UInt8
    /// Interfaces in descriptor order, each with its alternate settings.
    public var interfaces: [USBInterface]
    /// Descriptors between the configuration descriptor and the first interface (e.g. interface associations).
    public var extra: [USBRawDescriptor]

    public init(value: UInt8 = 1, descriptionIndex: UInt8 = 0, attributes: UInt8 = 0x80, maxPowerUnits: UInt8 = 250,
                interfaces: [USBInterface], extra: [USBRawDescriptor] = []) {
        self.value = value
        self.descriptionIndex = descriptionIndex
        self.attributes = attributes
        self.maxPowerUnits = maxPowerUnits
        self.interfaces = interfaces
        self.extra = extra
    }

    public var isSelfPowered: Bool { attributes & 0x40 != 0 }
}

/// An interface number and its alternate settings.
public struct USBInterface: Hashable, Sendable, Codable {
    public var number: UInt8
    public var settings: [USBInterfaceSetting]

    public init(number: UInt8, settings: [USBInterfaceSetting]) {
        self.number = number
        self.settings = settings
    }
}

/// One alternate setting of an interface (USB 2.0 §9.6.5) with its endpoints and class-specific descriptors.
public struct USBInterfaceSetting: Hashable, Sendable, Codable {
    public var interfaceNumber: UInt8
    public var alternateSetting: UInt8
    public var interfaceClass: UInt8
    public var interfaceSubclass: UInt8
    public var interfaceProtocol: UInt8
    public var descriptionIndex: UInt8
    public var endpoints: [USBEndpoint]
    /// Class-specific descriptors that follow the interface descriptor (e.g. the DFU functional descriptor).
    public var extra: [USBRawDescriptor]

    public init(interfaceNumber: UInt8, alternateSetting: UInt8 = 0, interfaceClass: UInt8, interfaceSubclass: UInt8 = 0,
                interfaceProtocol: UInt8 = 0, descriptionIndex: UInt8 = 0, endpoints: [USBEndpoint] = [],
                extra: [USBRawDescriptor] = []) {
        self.interfaceNumber = interfaceNumber
        self.alternateSetting = alternateSetting
        self.interfaceClass = interfaceClass
        self.interfaceSubclass = interfaceSubclass
        self.interfaceProtocol = interfaceProtocol
        self.descriptionIndex = descriptionIndex
        self.endpoints = endpoints
        self.extra = extra
    }

    /// The DFU functional descriptor, when this is a DFU interface that has a well-formed one.
    public var dfuFunctional: DFUFunctionalDescriptor? {
        extra.lazy.compactMap { try? DFUFunctionalDescriptor(bytes: $0.bytes) }.first
    }

    /// Class 0xFE subclass 0x01: DFU; protocol 1 is run-time mode, 2 is DFU mode.
    public var isDFU: Bool { interfaceClass == 0xFE && interfaceSubclass == 0x01 }
}

/// Direction of an endpoint or transfer, from the host's point of view.
public enum USBDirection: String, Sendable, Codable {
    case out, `in`
}

/// Endpoint transfer type (bmAttributes bits 1:0).
public enum USBTransferType: String, Sendable, Codable, CaseIterable {
    case control, isochronous, bulk, interrupt

    public init(attributes: UInt8) {
        self = [.control, .isochronous, .bulk, .interrupt][Int(attributes & 0x03)]
    }

    public var attributeBits: UInt8 {
        switch self {
        case .control: 0
        case .isochronous: 1
        case .bulk: 2
        case .interrupt: 3
        }
    }
}

/// One endpoint (USB 2.0 §9.6.6).
public struct USBEndpoint: Hashable, Sendable, Codable {
    /// bEndpointAddress: bit 7 set for IN.
    public var address: UInt8
    public var attributes: UInt8
    /// wMaxPacketSize (bits 12:11 carry high-bandwidth multipliers).
    public var maxPacketSize: UInt16
    public var interval: UInt8
    /// Descriptors that follow the endpoint descriptor (e.g. SuperSpeed companions).
    public var extra: [USBRawDescriptor]

    public init(address: UInt8, type: USBTransferType, maxPacketSize: UInt16, interval: UInt8 = 0, extra: [USBRawDescriptor] = []) {
        self.init(address: address, attributes: type.attributeBits, maxPacketSize: maxPacketSize, interval: interval, extra: extra)
    }

    public init(address: UInt8, attributes: UInt8, maxPacketSize: UInt16, interval: UInt8, extra: [USBRawDescriptor] = []) {
        self.address = address
        self.attributes = attributes
        self.maxPacketSize = maxPacketSize
        self.interval = interval
        self.extra = extra
    }

    public var direction: USBDirection { address & 0x80 != 0 ? .in : .out }
    public var number: UInt8 { address & 0x0F }
    public var transferType: USBTransferType { USBTransferType(attributes: attributes) }
}
