import Foundation
import PinionI2C
import PinionI2CLinux
import Testing

@Suite("I2C bus listing from sysfs")
struct I2CBusDirectoryTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("pinion-i2c-\(UUID().uuidString)").path

    private func adapter(_ entry: String, name: String?, deviceName: String? = nil) throws {
        let directory = root + "/sys/class/i2c-dev/" + entry
        try FileManager.default.createDirectory(atPath: directory + "/device", withIntermediateDirectories: true)
        if let name { try (name + "\n").write(toFile: directory + "/name", atomically: true, encoding: .utf8) }
        if let deviceName { try (deviceName + "\n").write(toFile: directory + "/device/name", atomically: true, encoding: .utf8) }
    }

    @Test func listsBusesSortedByNumberWithTheirNames() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try adapter("i2c-10", name: "SMBus stub driver")
        try adapter("i2c-2", name: "Synopsys DesignWare I2C adapter")
        try adapter("i2c-0", name: nil, deviceName: "SMBus I801 adapter at efa0")
        try adapter("not-a-bus", name: "ignored")

        let listing = I2CBusDirectory(sysfsRoot: root + "/sys", deviceRoot: root + "/dev").list()
        #expect(listing.buses == [
            I2CBusInfo(number: 0, name: "SMBus I801 adapter at efa0", devicePath: root + "/dev/i2c-0"),
            I2CBusInfo(number: 2, name: "Synopsys DesignWare I2C adapter", devicePath: root + "/dev/i2c-2"),
            I2CBusInfo(number: 10, name: "SMBus stub driver", devicePath: root + "/dev/i2c-10"),
        ])
        #expect(listing.advice == nil)
        #expect(listing.buses.map(\.busName) == ["i2c-0", "i2c-2", "i2c-10"])
    }

    @Test func missingClassDirectoryMeansI2cDevIsNotLoaded() {
        let listing = I2CBusDirectory(sysfsRoot: root + "/sys").list()
        #expect(listing == .i2cDevNotLoaded(sysfsPath: root + "/sys/class/i2c-dev"))
        #expect(listing.buses.isEmpty)
        #expect(listing.advice?.contains("i2c-dev not loaded") == true)
        #expect(listing.advice?.contains("modprobe i2c-dev") == true)
    }

    @Test func emptyClassDirectoryMeansNoAdapters() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/sys/class/i2c-dev", withIntermediateDirectories: true)
        let listing = I2CBusDirectory(sysfsRoot: root + "/sys").list()
        #expect(listing == .buses([]))
        #expect(listing.advice?.contains("no I2C adapter") == true)
    }

    @Test func openingAListedBusWithoutItsNodeIsNoSuchBus() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try adapter("i2c-4", name: "x")
        let directory = I2CBusDirectory(sysfsRoot: root + "/sys", deviceRoot: root + "/dev")
        let error = #expect(throws: I2CError.self) { try directory.open(4) }
        #expect(error?.code == .noSuchBus)
        #expect(error?.bus == "i2c-4")
    }
}
