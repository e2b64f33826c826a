import Foundation
import PinionEmulator
import PinionI2C
import Testing

/// The scanner against i2c-tools 4.x tools/i2cdetect.c: probe choice, UU, skipped addresses,
/// and the grid byte for byte.
@Suite("I2C scanner (i2cdetect rules)")
struct I2CScannerTests {
    /// i2cdetect -y <bus> on the default chip set: header, rows 00–70, each row ending "<cell> \n".
    static let defaultChipsGrid = [
        "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n",
        "00:                         -- -- -- -- -- -- -- -- \n",
        "10: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
        "20: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
        "30: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
        "40: 40 41 42 -- 44 -- -- -- 48 49 -- -- -- -- -- -- \n",
        "50: 50 -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
        "60: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
        "70: -- -- -- -- -- -- -- --                         \n",
    ].joined()

    @Test func autoModeReceivesByteInEepromAndClockRangesAndQuickWritesElsewhere() {
        for value in UInt8(0)...0x7F {
            let address = I2CAddress(integerLiteral: value)
            let expected: I2CScanner.Probe = (0x30...0x37).contains(value) || (0x50...0x5F).contains(value) ? .receiveByte : .quickWrite
            #expect(I2CScanner.probe(for: address, mode: .auto) == expected, "at \(address)")
            #expect(I2CScanner.probe(for: address, mode: .quickWrite) == .quickWrite)
            #expect(I2CScanner.probe(for: address, mode: .receiveByte) == .receiveByte)
        }
    }

    @Test func gridMatchesI2cdetectForTheDefaultChips() throws {
        let chips = EmulatedI2CChipSet(name: "i2c-1")
        let result = try I2CScanner().scan(chips.bus)
        #expect(result.renderGrid() == Self.defaultChipsGrid)
        #expect(result.present == [0x40, 0x41, 0x42, 0x44, 0x48, 0x49, 0x50])
        #expect(result.warnings.isEmpty)
        #expect(result.entries.count == 0x77 - 0x08 + 1)
        #expect(result.status(of: 0x03) == nil)
    }

    @Test func eachAddressIsProbedOnceWithTheRightTransaction() throws {
        let chips = EmulatedI2CChipSet()
        _ = try I2CScanner().scan(chips.bus)
        let log = chips.bus.log
        #expect(log.count == 0x77 - 0x08 + 1)
        #expect(log.first == EmulatedI2CTransaction(0x08, .write([]), acknowledged: false))
        #expect(log.first { $0.address == 0x48 } == EmulatedI2CTransaction(0x48, .write([])))
        #expect(log.first { $0.address == 0x50 } == EmulatedI2CTransaction(0x50, .read([0xFF])))
        #expect(log.first { $0.address == 0x30 } == EmulatedI2CTransaction(0x30, .read([]), acknowledged: false))
        for entry in log where (0x50...0x5F).contains(entry.address.rawValue) || (0x30...0x37).contains(entry.address.rawValue) {
            #expect(entry.segments.allSatisfy { if case .read = $0 { true } else { false } } || !entry.acknowledged)
        }
    }

    @Test func claimedAddressesShowUUAndAreNotProbed() throws {
        let chips = EmulatedI2CChipSet(name: "i2c-1")
        chips.bus.claim(0x48)
        chips.bus.claim(0x1A)
        let result = try I2CScanner().scan(chips.bus)
        #expect(result.status(of: 0x48) == .busy)
        #expect(result.status(of: 0x1A) == .busy)
        #expect(result.claimed == [0x1A, 0x48])
        #expect(!chips.bus.log.contains { $0.address == 0x48 })
        let grid = result.renderGrid().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(grid[2] == "10: -- -- -- -- -- -- -- -- -- -- UU -- -- -- -- -- ")
        #expect(grid[5] == "40: 40 41 42 -- 44 -- -- -- UU 49 -- -- -- -- -- -- ")
    }

    @Test func busWithoutQuickWriteSkipsThoseAddressesAndSaysSo() throws {
        let chips = EmulatedI2CChipSet(name: "i2c-5", functionality: I2CFunctionality.i2cStub.subtracting(.smbusQuick))
        let result = try I2CScanner().scan(chips.bus)
        #expect(result.warnings.count == 1)
        #expect(result.warnings[0].contains("quick write"))
        #expect(result.status(of: 0x48) == .notProbed)
        #expect(result.status(of: 0x50) == .present)
        #expect(result.status(of: 0x51) == .absent)
        let blank = String(repeating: "   ", count: 16)
        #expect(result.renderGrid() == [
            "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n",
            "00: \(blank)\n",
            "10: \(blank)\n",
            "20: \(blank)\n",
            "30: -- -- -- -- -- -- -- --                         \n",
            "40: \(blank)\n",
            "50: 50 -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- \n",
            "60: \(blank)\n",
            "70: \(blank)\n",
        ].joined())
    }

    @Test func busWithoutReceiveByteSkipsTheEepromRanges() throws {
        let chips = EmulatedI2CChipSet(functionality: [.smbusQuick, .smbusWordData])
        let result = try I2CScanner().scan(chips.bus)
        #expect(result.warnings.count == 1)
        #expect(result.warnings[0].contains("receive byte"))
        #expect(result.status(of: 0x50) == .notProbed)
        #expect(result.status(of: 0x48) == .present)
        #expect(result.renderGrid().contains("50: " + String(repeating: " ", count: 48) + "\n"))
    }

    @Test func quickLessBusCanStillBeScannedEverywhereWithReceiveByte() throws {
        let chips = EmulatedI2CChipSet(functionality: [.smbusReadByte])
        let result = try I2CScanner(mode: .receiveByte).scan(chips.bus)
        #expect(result.present == [0x40, 0x41, 0x42, 0x44, 0x48, 0x49, 0x50])
        #expect(result.warnings.isEmpty)
        #expect(throws: I2CError.self) { try I2CScanner(mode: .quickWrite).scan(chips.bus) }
    }

    @Test func busWithNeitherProbeCannotBeScanned() {
        let chips = EmulatedI2CChipSet(name: "i2c-6", functionality: [.smbusWordData])
        let error = #expect(throws: I2CError.self) { try I2CScanner().scan(chips.bus) }
        #expect(error?.code == .notSupported)
        #expect(error?.bus == "i2c-6")
        #expect(chips.bus.log.isEmpty)
    }

    @Test func fullRangeLikeDashA() throws {
        let chips = EmulatedI2CChipSet()
        let result = try I2CScanner(range: 0x00...0x7F).scan(chips.bus)
        let grid = result.renderGrid().split(separator: "\n")
        #expect(grid[1] == "00: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- ")
        #expect(grid[8] == "70: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- ")
    }

    @Test func failuresOtherThanNACKAreKeptNotSwallowed() throws {
        let faults = I2CFaultInjector()
        faults.fail(.timedOut, matching: .address(0x49))
        let chips = EmulatedI2CChipSet(name: "i2c-1", taps: [faults])
        let result = try I2CScanner().scan(chips.bus)
        #expect(result.status(of: 0x49) == .failed)
        let failure = try #require(result.failures.first)
        #expect(failure.address == 0x49)
        #expect(failure.errno == ETIMEDOUT)
        #expect(failure.error?.hasPrefix("i2c-1 0x49: quick write failed: timed out (ETIMEDOUT)") == true)
        #expect(result.renderGrid().contains("40: 40 41 42 -- 44 -- -- -- 48 -- "))
    }

    @Test func setAddressFailuresOtherThanBusyStopTheScanLikeI2cdetect() {
        let bus = FailingSetAddressBus()
        let error = #expect(throws: I2CError.self) { try I2CScanner().scan(bus) }
        #expect(error?.operation == .setAddress)
        #expect(error?.code == .invalidArgument)
    }

    @Test func resultEncodesAsJSON() throws {
        let chips = EmulatedI2CChipSet(name: "i2c-1")
        chips.bus.claim(0x4A)
        let result = try I2CScanner().scan(chips.bus)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(result)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains(#"{"address":72,"probe":"quickWrite","status":"present"}"#))
        #expect(text.contains(#"{"address":74,"probe":"quickWrite","status":"busy"}"#))
        #expect(text.contains(#""mode":"auto""#))
        #expect(try JSONDecoder().decode(I2CScanResult.self, from: data) == result)
    }
}

/// A bus whose I2C_SLAVE fails with EINVAL everywhere: i2cdetect stops at the first address.
private final class FailingSetAddressBus: I2CBus {
    let name = "i2c-8"
    func functionality() throws(I2CError) -> I2CFunctionality { .smbusEmulated }
    func smbus(_ transaction: SMBusTransaction, address: I2CAddress) throws(I2CError) -> SMBusResult {
        throw I2CError(errno: EINVAL, operation: .setAddress, bus: name, address: address)
    }
    func transfer(_ messages: [I2CMessage]) throws(I2CError) -> [[UInt8]] { [] }
}
