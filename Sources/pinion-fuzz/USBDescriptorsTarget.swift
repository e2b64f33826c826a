import PinionUSB

extension FuzzTarget {
    /// Descriptor bytes as a device (or sysfs, or libusb serialised back) gives them: every
    /// `USBDescriptorParser` entry point on the same bytes.
    static let usbDescriptors = FuzzTarget(name: "usb-descriptors",
                                           summary: "USBDescriptorParser: device, configuration, sysfs blob, string, languages") { bytes in
        _ = try? USBDescriptorParser.device(bytes)
        _ = try? USBDescriptorParser.configuration(bytes)
        _ = try? USBDescriptorParser.configuration(bytes, allowTrailing: true)
        _ = try? USBDescriptorParser.deviceAndConfigurations(bytes)
        _ = try? USBDescriptorParser.string(bytes)
        _ = try? USBDescriptorParser.languages(bytes)
    }
}
