import CLibUSB
import PinionUSB

/// Reads what libusb knows of a `libusb_device` into a `USBDeviceInfo`, without opening it.
///
/// libusb hands configurations over already parsed; they are serialised back to bytes and
/// parsed by `USBDescriptorParser`, so emulated and real devices go through the same parser.
enum LibUSBDeviceReader {
    static func location(_ device: OpaquePointer) -> USBDeviceLocation {
        var ports = [UInt8](repeating: 0, count: 8)
        let count = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        return USBDeviceLocation(bus: libusb_get_bus_number(device),
                                 ports: Array(ports.prefix(Int(max(count, 0)))),
                                 address: libusb_get_device_address(device))
    }

    static func info(_ device: OpaquePointer) throws(USBError) -> USBDeviceInfo {
        let location = location(device)
        var raw = libusb_device_descriptor()
        try LibUSBCall.check("read device descriptor", device: location.path, libusb_get_device_descriptor(device, &raw))
        let descriptor = USBDeviceDescriptor(
            usbVersion: raw.bcdUSB, deviceClass: raw.bDeviceClass, deviceSubclass: raw.bDeviceSubClass,
            deviceProtocol: raw.bDeviceProtocol, maxPacketSize0: raw.bMaxPacketSize0,
            id: USBID(vendor: raw.idVendor, product: raw.idProduct), deviceVersion: raw.bcdDevice,
            manufacturerIndex: raw.iManufacturer, productIndex: raw.iProduct,
            serialNumberIndex: raw.iSerialNumber, configurationCount: raw.bNumConfigurations)
        var configurations: [USBConfiguration] = []
        var problem: String?
        for index in 0..<raw.bNumConfigurations {
            var config: UnsafeMutablePointer<libusb_config_descriptor>?
            let code = libusb_get_config_descriptor(device, index, &config)
            guard code == 0, let config else {
                problem = "configuration \(index): \(USBError(libusbCode: code, operation: "read configuration descriptor").code.libusbName)"
                break
            }
            defer { libusb_free_config_descriptor(config) }
            do {
                configurations.append(try USBDescriptorParser.configuration(bytes(of: config.pointee)))
            } catch {
                problem = "configuration \(index): \(error)"
                break
            }
        }
        return USBDeviceInfo(location: location, speed: LibUSBCall.speed(libusb_get_device_speed(device)),
                             descriptor: descriptor, configurations: problem == nil ? configurations : [],
                             descriptorProblem: problem)
    }

    /// The configuration as the device sent it, rebuilt from libusb's parsed structures.
    static func bytes(of config: libusb_config_descriptor) -> [UInt8] {
        var body = extra(config.extra, config.extra_length)
        for i in 0..<Int(config.bNumInterfaces) {
            let interface = config.interface[i]
            for a in 0..<Int(interface.num_altsetting) {
                let s = interface.altsetting[a]
                body += [9, USBDescriptorType.interface.rawValue, s.bInterfaceNumber, s.bAlternateSetting,
                         s.bNumEndpoints, s.bInterfaceClass, s.bInterfaceSubClass, s.bInterfaceProtocol, s.iInterface]
                body += extra(s.extra, s.extra_length)
                for e in 0..<Int(s.bNumEndpoints) {
                    let ep = s.endpoint[e]
                    body += [7, USBDescriptorType.endpoint.rawValue, ep.bEndpointAddress, ep.bmAttributes,
                             UInt8(truncatingIfNeeded: ep.wMaxPacketSize), UInt8(ep.wMaxPacketSize >> 8), ep.bInterval]
                    body += extra(ep.extra, ep.extra_length)
                }
            }
        }
        let total = UInt16(9 + body.count)
        return [9, USBDescriptorType.configuration.rawValue, UInt8(truncatingIfNeeded: total), UInt8(total >> 8),
                config.bNumInterfaces, config.bConfigurationValue, config.iConfiguration, config.bmAttributes,
                config.MaxPower] + body
    }

    private static func extra(_ pointer: UnsafePointer<UInt8>?, _ length: Int32) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }
}
