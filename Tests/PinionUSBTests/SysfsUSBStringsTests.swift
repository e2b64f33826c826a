import Foundation
import PinionUSB
@testable import PinionUSBLinux
import Testing

/// Strings read from a sysfs tree laid out as the kernel lays out /sys/bus/usb/devices.
@Suite("Device strings from sysfs")
struct SysfsUSBStringsTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-sysfs-\(UUID().uuidString)").path

    /// DescriptorFixtures.device: manufacturer 1, product 2, serial 3; at 1-1.2, address 7.
    func info(address: UInt8 = 7) throws -> USBDeviceInfo {
        USBDeviceInfo(location: USBDeviceLocation(bus: 1, ports: [1, 2], address: address), speed: .high,
                      descriptor: try USBDescriptorParser.device(DescriptorFixtures.device), configurations: [])
    }

    func write(_ attributes: [String: String]) throws {
        let directory = root + "/1-1.2"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, value) in attributes {
            #expect(FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data("\(value)\n".utf8)))
        }
    }

    @Test func readsTheThreeStringsWithoutTheKernelsNewline() throws {
        try write(["devnum": "7", "manufacturer": "Pinion Labs", "product": "Emulated NPU S (bootloader)", "serial": "EMU-S-0001 "])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let strings = SysfsUSBStrings.read(try info(), root: root)
        #expect(strings == USBDeviceStrings(manufacturer: "Pinion Labs", product: "Emulated NPU S (bootloader)", serialNumber: "EMU-S-0001 "))
    }

    @Test func anotherDeviceAtThePortIsNotTrusted() throws {
        try write(["devnum": "8", "manufacturer": "Pinion Labs", "product": "NPU", "serial": "EMU-S-0001"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(SysfsUSBStrings.read(try info(address: 7), root: root) == nil)
    }

    @Test func aStringTheKernelCouldNotReadMeansAskTheDevice() throws {
        try write(["devnum": "7", "manufacturer": "Pinion Labs", "product": "NPU"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(SysfsUSBStrings.read(try info(), root: root) == nil)
    }

    @Test func noSysfsDirectoryMeansAskTheDevice() throws {
        #expect(SysfsUSBStrings.read(try info(), root: root) == nil)
    }
}
