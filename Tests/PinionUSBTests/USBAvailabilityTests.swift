import Foundation
import PinionUSB
import PinionUSBLinux
import Testing

@Suite("USB availability")
struct USBAvailabilityTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-usb-\(UUID().uuidString)").path

    @Test func noSysfsMeansNoUSBInKernel() {
        let probe = USBAvailability.probe(sysfs: root + "/sys/bus/usb/devices", devfs: root + "/dev/bus/usb")
        #expect(probe.verdict == .noUSBInKernel)
        #expect(probe.explanation?.contains("no USB host support") == true)
    }

    @Test func sysfsWithoutDeviceNodes() throws {
        try FileManager.default.createDirectory(atPath: root + "/sys/bus/usb/devices", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let probe = USBAvailability.probe(sysfs: root + "/sys/bus/usb/devices", devfs: root + "/dev/bus/usb")
        #expect(probe.verdict == .noDeviceNodes)
    }

    @Test(.enabled(if: geteuid() != 0, "SKIPPED: running as root, which opens every node whatever its mode, so 'no permission' cannot be produced"))
    func unreadableNodesMeanNoPermission() throws {
        try FileManager.default.createDirectory(atPath: root + "/sys/bus/usb/devices", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/dev/bus/usb/001", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root + "/dev/bus/usb/001/002", contents: Data(), attributes: [.posixPermissions: 0o000]))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let probe = USBAvailability.probe(sysfs: root + "/sys/bus/usb/devices", devfs: root + "/dev/bus/usb")
        #expect(probe.verdict == .noPermission(nodes: 1))
    }

    @Test func readableNodesMeanAvailable() throws {
        try FileManager.default.createDirectory(atPath: root + "/sys/bus/usb/devices", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/dev/bus/usb/001", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root + "/dev/bus/usb/001/002", contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let probe = USBAvailability.probe(sysfs: root + "/sys/bus/usb/devices", devfs: root + "/dev/bus/usb")
        #expect(probe.verdict == .available)
        #expect(probe.explanation == nil)
    }
}
