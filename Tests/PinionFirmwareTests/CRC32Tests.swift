import Testing
@testable import PinionFirmware

@Suite struct CRC32Tests {
    @Test func knownVectors() {
        // zlib.crc32 values.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
    }

    @Test func dfuSuffixCRCIsTheRegisterWithoutFinalInversion() {
        // zlib.crc32(b"123456789") ^ 0xffffffff
        #expect(CRC32.dfuSuffixCRC(Array("123456789".utf8)) == 0x340B_C6D9)
        #expect(CRC32.dfuSuffixCRC([]) == 0xFFFF_FFFF)
    }

    @Test func runningUpdateEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let split = CRC32.update(CRC32.update(0xFFFF_FFFF, data[..<333]), data[333...])
        #expect(split == CRC32.dfuSuffixCRC(data))
    }

    @Test func matchesTheSuffixThatDfuSuffixWrote() throws {
        let file = try ImageFixtures.bytes("with-suffix.bin")
        let stored = UInt32(file[file.count - 4]) | UInt32(file[file.count - 3]) << 8
            | UInt32(file[file.count - 2]) << 16 | UInt32(file[file.count - 1]) << 24
        #expect(CRC32.dfuSuffixCRC(file[..<(file.count - 4)]) == stored)
    }
}
