import Foundation
import PinionI2C
import PinionI2CLinux
import Testing

/// Runs only where the kernel has i2c-dev and a bus (the QEMU lab with i2c-stub); elsewhere
/// these are reported as skipped with the reason.
@Suite("Linux i2c-dev (lab)")
struct LinuxI2CBusLabTests {
    static let listing = I2CBusDirectory().list()
    static let stub = listing.buses.first { $0.name == "SMBus stub driver" }

    @Test(.enabled(if: !listing.buses.isEmpty, "SKIPPED: no I2C bus in this kernel (\(listing.advice ?? "")); runs in the QEMU lab"))
    func everyListedBusOpensAndReportsFunctionality() throws {
        for info in Self.listing.buses {
            let bus = try LinuxI2CBus(number: info.number)
            let functionality = try bus.functionality()
            #expect(!functionality.isEmpty, "\(info.busName) reports no functionality")
        }
    }

    @Test(.enabled(if: stub != nil, "SKIPPED: i2c-stub is not loaded (modprobe i2c-stub chip_addr=0x48); runs in the QEMU lab"))
    func stubChipsAnswerScansAndWordsRoundTrip() throws {
        let info = try #require(Self.stub)
        let bus = try LinuxI2CBus(number: info.number)
        #expect(try bus.functionality().contains(.smbusWordData))
        let result = try I2CScanner().scan(bus)
        let address = try #require(result.present.first, "i2c-stub was loaded without chip_addr")
        try bus.writeWordData(address: address, register: 0x05, value: 0x1234)
        #expect(try bus.readWordData(address: address, register: 0x05) == 0x1234)
        #expect(try bus.readRegister16BigEndian(address: address, register: 0x05) == 0x3412)
        let missing = try #require(result.entries.first { $0.status == .absent }?.address)
        let error = #expect(throws: I2CError.self) { try bus.readByteData(address: missing, register: 0) }
        #expect(error?.code == .noAcknowledge)
    }
}
