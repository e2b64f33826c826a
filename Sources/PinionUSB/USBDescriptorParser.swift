/// Parses raw descriptor bytes as devices send them (GET_DESCRIPTOR) or as sysfs stores them.
///
/// Strict about lengths (a truncated descriptor, a bLength of 0 or one that runs past the
/// end, a wTotalLength that disagrees with the bytes) because those make everything after
/// them garbage; tolerant of counts (bNumInterfaces, bNumEndpoints) that some devices get
/// wrong, as the Linux kernel and libusb are.
public enum USBDescriptorParser {
    /// Parses an 18-byte device descriptor.
    public static func device(_ bytes: [UInt8]) throws(USBDescriptorError) -> USBDeviceDescriptor {
        try checkHeader(bytes, at: 0, type: .device, minimumLength: 18)
        let b = bytes
        return USBDeviceDescriptor(
            usbVersion: word(b, 2), deviceClass: b[4], deviceSubclass: b[5], deviceProtocol: b[6],
            maxPacketSize0: b[7], id: USBID(vendor: word(b, 8), product: word(b, 10)), deviceVersion: word(b, 12),
            manufacturerIndex: b[14], productIndex: b[15], serialNumberIndex: b[16], configurationCount: b[17])
    }

    /// Parses a whole configuration: the configuration descriptor and the wTotalLength bytes it covers.
    /// Bytes past wTotalLength are an error unless `allowTrailing` (sysfs concatenates configurations).
    public static func configuration(_ bytes: [UInt8], allowTrailing: Bool = false) throws(USBDescriptorError) -> USBConfiguration {
        try checkHeader(bytes, at: 0, type: .configuration, minimumLength: 9)
        let totalLength = Int(word(bytes, 2))
        if totalLength < 9 {
            throw USBDescriptorError(offset: 2, problem: "wTotalLength \(totalLength) is shorter than the 9-byte configuration descriptor")
        }
        if totalLength > bytes.count {
            throw USBDescriptorError(offset: 2, problem: "wTotalLength says \(totalLength) bytes but only \(bytes.count) arrived (truncated)")
        }
        if totalLength < bytes.count && !allowTrailing {
            throw USBDescriptorError(offset: 2, problem: "wTotalLength says \(totalLength) bytes but \(bytes.count) arrived")
        }
        var configuration = USBConfiguration(value: bytes[5], descriptionIndex: bytes[6], attributes: bytes[7],
                                             maxPowerUnits: bytes[8], interfaces: [])
        var offset = Int(bytes[0])
        var currentSetting: USBInterfaceSetting?

        func finishSetting() {
            guard let setting = currentSetting else { return }
            if let index = configuration.interfaces.firstIndex(where: { $0.number == setting.interfaceNumber }) {
                configuration.interfaces[index].settings.append(setting)
            } else {
                configuration.interfaces.append(USBInterface(number: setting.interfaceNumber, settings: [setting]))
            }
            currentSetting = nil
        }

        while offset < totalLength {
            guard offset + 2 <= totalLength else {
                throw USBDescriptorError(offset: offset, problem: "1 stray byte at the end of the configuration")
            }
            let length = Int(bytes[offset])
            let type = bytes[offset + 1]
            if length < 2 {
                throw USBDescriptorError(offset: offset, problem: "bLength \(length) (a descriptor is at least 2 bytes)")
            }
            if offset + length > totalLength {
                throw USBDescriptorError(offset: offset, problem: "descriptor type 0x\(hex(type)) with bLength \(length) runs past wTotalLength \(totalLength)")
            }
            let slice = Array(bytes[offset..<offset + length])
            switch USBDescriptorType(rawValue: type) {
            case .interface:
                try checkHeader(slice, at: offset, type: .interface, minimumLength: 9)
                finishSetting()
                currentSetting = USBInterfaceSetting(
                    interfaceNumber: slice[2], alternateSetting: slice[3], interfaceClass: slice[5],
                    interfaceSubclass: slice[6], interfaceProtocol: slice[7], descriptionIndex: slice[8])
            case .endpoint:
                try checkHeader(slice, at: offset, type: .endpoint, minimumLength: 7)
                guard currentSetting != nil else {
                    throw USBDescriptorError(offset: offset, problem: "endpoint descriptor before any interface descriptor")
                }
                currentSetting?.endpoints.append(USBEndpoint(address: slice[2], attributes: slice[3],
                                                             maxPacketSize: word(slice, 4), interval: slice[6]))
            case .device, .configuration:
                throw USBDescriptorError(offset: offset, problem: "unexpected descriptor type 0x\(hex(type)) inside a configuration")
            default:
                let raw = USBRawDescriptor(type: type, bytes: slice)
                if var setting = currentSetting {
                    if setting.endpoints.isEmpty {
                        setting.extra.append(raw)
                    } else {
                        setting.endpoints[setting.endpoints.count - 1].extra.append(raw)
                    }
                    currentSetting = setting
                } else {
                    configuration.extra.append(raw)
                }
            }
            offset += length
        }
        finishSetting()
        return configuration
    }

    /// Parses a sysfs `descriptors` blob: the device descriptor followed by every configuration.
    public static func deviceAndConfigurations(_ bytes: [UInt8]) throws(USBDescriptorError) -> (USBDeviceDescriptor, [USBConfiguration]) {
        let device = try device(bytes)
        var configurations: [USBConfiguration] = []
        var offset = Int(bytes[0])
        while offset < bytes.count {
            let rest = Array(bytes[offset...])
            do {
                let configuration = try configuration(rest, allowTrailing: true)
                configurations.append(configuration)
                offset += Int(word(rest, 2))
            } catch {
                throw USBDescriptorError(offset: offset + error.offset, problem: error.problem)
            }
        }
        return (device, configurations)
    }

    /// Decodes a string descriptor (UTF-16LE after the 2-byte header).
    public static func string(_ bytes: [UInt8]) throws(USBDescriptorError) -> String {
        try checkHeader(bytes, at: 0, type: .string, minimumLength: 2)
        let length = Int(bytes[0])
        let units = stride(from: 2, to: length - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return String(decoding: units, as: UTF16.self)
    }

    /// Decodes string descriptor 0: the LANGIDs the device supports.
    public static func languages(_ bytes: [UInt8]) throws(USBDescriptorError) -> [UInt16] {
        try checkHeader(bytes, at: 0, type: .string, minimumLength: 2)
        return stride(from: 2, to: Int(bytes[0]) - 1, by: 2).map { word(bytes, $0) }
    }

    static func checkHeader(_ bytes: [UInt8], at offset: Int, type: USBDescriptorType, minimumLength: Int) throws(USBDescriptorError) {
        guard bytes.count >= 2 else {
            throw USBDescriptorError(offset: offset, problem: "\(bytes.count) byte(s) where a \(type) descriptor was expected (truncated)")
        }
        let length = Int(bytes[0])
        if length == 0 {
            throw USBDescriptorError(offset: offset, problem: "bLength is 0")
        }
        guard bytes[1] == type.rawValue else {
            throw USBDescriptorError(offset: offset + 1, problem: "expected \(type) descriptor (type 0x\(hex(type.rawValue))), found type 0x\(hex(bytes[1]))")
        }
        guard length >= minimumLength else {
            throw USBDescriptorError(offset: offset, problem: "bLength \(length) is too short for a \(type) descriptor (needs \(minimumLength))")
        }
        guard length <= bytes.count else {
            throw USBDescriptorError(offset: offset, problem: "bLength \(length) but only \(bytes.count) bytes (truncated)")
        }
    }

    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func hex(_ value: UInt8) -> String {
        value < 0x10 ? "0" + String(value, radix: 16) : String(value, radix: 16)
    }
}
