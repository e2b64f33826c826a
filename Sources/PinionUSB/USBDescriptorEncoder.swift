/// Serialises descriptors to the bytes a device sends: used by emulated devices and to
/// give libusb's parsed configurations back to the one parser Pinion trusts.
public enum USBDescriptorEncoder {
    public static func device(_ d: USBDeviceDescriptor) -> [UInt8] {
        var out: [UInt8] = [18, USBDescriptorType.device.rawValue]
        append(d.usbVersion, to: &out)
        out += [d.deviceClass, d.deviceSubclass, d.deviceProtocol, d.maxPacketSize0]
        append(d.id.vendor, to: &out)
        append(d.id.product, to: &out)
        append(d.deviceVersion, to: &out)
        out += [d.manufacturerIndex, d.productIndex, d.serialNumberIndex, d.configurationCount]
        return out
    }

    /// The configuration with wTotalLength and bNumInterfaces filled in from its contents.
    public static func configuration(_ c: USBConfiguration) -> [UInt8] {
        var body: [UInt8] = c.extra.flatMap(\.bytes)
        for interface in c.interfaces {
            for setting in interface.settings {
                body += [9, USBDescriptorType.interface.rawValue, setting.interfaceNumber, setting.alternateSetting,
                         UInt8(setting.endpoints.count), setting.interfaceClass, setting.interfaceSubclass,
                         setting.interfaceProtocol, setting.descriptionIndex]
                body += setting.extra.flatMap(\.bytes)
                for endpoint in setting.endpoints {
                    body += [7, USBDescriptorType.endpoint.rawValue, endpoint.address, endpoint.attributes]
                    append(endpoint.maxPacketSize, to: &body)
                    body.append(endpoint.interval)
                    body += endpoint.extra.flatMap(\.bytes)
                }
            }
        }
        var out: [UInt8] = [9, USBDescriptorType.configuration.rawValue]
        append(UInt16(9 + body.count), to: &out)
        out += [UInt8(c.interfaces.count), c.value, c.descriptionIndex, c.attributes, c.maxPowerUnits]
        return out + body
    }

    /// A string descriptor in UTF-16LE, cut to the 126 code units a descriptor can hold.
    public static func string(_ text: String) -> [UInt8] {
        let units = Array(text.utf16.prefix(126))
        var out: [UInt8] = [UInt8(2 + units.count * 2), USBDescriptorType.string.rawValue]
        for unit in units { append(unit, to: &out) }
        return out
    }

    /// String descriptor 0: the supported LANGIDs.
    public static func languages(_ ids: [UInt16]) -> [UInt8] {
        var out: [UInt8] = [UInt8(2 + ids.count * 2), USBDescriptorType.string.rawValue]
        for id in ids { append(id, to: &out) }
        return out
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(value >> 8))
    }
}
