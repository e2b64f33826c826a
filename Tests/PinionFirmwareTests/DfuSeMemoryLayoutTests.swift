import PinionFirmware
import Testing

/// DfuSe memory layout strings as STM32 bootloaders (and DfuSe-speaking third-party bootloaders)
/// present them, and strings that are not layouts.
@Suite("DfuSe memory layout")
struct DfuSeMemoryLayoutTests {
    static let f4 = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"

    static func layoutError(_ string: String) -> DfuSeLayoutError? {
        do {
            _ = try DfuSeMemoryLayout.parse(string)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesTheSTM32F4InternalFlash() throws {
        let layout = try DfuSeMemoryLayout.parse(Self.f4)
        #expect(layout.name == "Internal Flash")
        #expect(layout.regions.count == 1)
        let region = try #require(layout.regions.first)
        #expect(region.start == 0x0800_0000)
        #expect(region.groups == [DfuSeSectorGroup(count: 4, size: 16 * 1024, access: [.readable, .erasable, .writable]),
                                  DfuSeSectorGroup(count: 1, size: 64 * 1024, access: [.readable, .erasable, .writable]),
                                  DfuSeSectorGroup(count: 7, size: 128 * 1024, access: [.readable, .erasable, .writable])])
        #expect(region.size == 1024 * 1024)
        #expect(region.end == 0x0810_0000)
    }

    @Test func findsTheSectorHoldingAnAddressAcrossSectorSizes() throws {
        let layout = try DfuSeMemoryLayout.parse(Self.f4)
        #expect(layout.sector(containing: 0x0800_0000)?.address == 0x0800_0000)
        #expect(layout.sector(containing: 0x0800_3FFF)?.address == 0x0800_0000)
        #expect(layout.sector(containing: 0x0800_4000)?.address == 0x0800_4000)
        #expect(layout.sector(containing: 0x0801_0000) == DfuSeSector(address: 0x0801_0000, size: 64 * 1024, access: [.readable, .erasable, .writable]))
        #expect(layout.sector(containing: 0x0801_FFFF)?.address == 0x0801_0000)
        #expect(layout.sector(containing: 0x0802_0000)?.size == 128 * 1024)
        #expect(layout.sector(containing: 0x080F_FFFF)?.address == 0x080E_0000)
        #expect(layout.sector(containing: 0x0810_0000) == nil)
        #expect(layout.sector(containing: 0x07FF_FFFF) == nil)
        #expect(layout.sectors(from: 0x0800_3F00, count: 0x200)?.map(\.address) == [0x0800_0000, 0x0800_4000])
        #expect(layout.sectors(from: 0x080F_FF00, count: 0x200) == nil, "runs past the end of flash")
    }

    @Test func typeLettersAreAccessBitsAndASpaceIsTheByteMultiplier() throws {
        let otp = try DfuSeMemoryLayout.parse("@OTP Memory /0x1FFF7800/01*512 e,01*016 e")
        #expect(otp.name == "OTP Memory")
        #expect(otp.regions[0].groups == [DfuSeSectorGroup(count: 1, size: 512, access: [.readable, .writable]),
                                          DfuSeSectorGroup(count: 1, size: 16, access: [.readable, .writable])])
        #expect(otp.allows(.writable, from: 0x1FFF_7800, count: 528))
        #expect(!otp.allows(.erasable, from: 0x1FFF_7800, count: 1))
        let letters = "abcdefg".map { letter in
            (try? DfuSeMemoryLayout.parse("@M/0x0/01*001K\(letter)"))?.regions[0].groups[0].access.rawValue
        }
        #expect(letters == [1, 2, 3, 4, 5, 6, 7])
        let device = try DfuSeMemoryLayout.parse("@Device Feature/0xFFFF0000/01*004 e")
        #expect(device.name == "Device Feature" && device.regions[0].size == 4)
        #expect(try DfuSeMemoryLayout.parse("@SPI Flash /0x00000000/4096*4Kg").regions[0].size == 16 << 20)
        #expect(try DfuSeMemoryLayout.parse("@Big /0x90000000/02*001Mg").regions[0].size == 2 << 20)
        #expect(try DfuSeMemoryLayout.parse("@Bytes /0x20000000/01*100Ba").regions[0].size == 100)
        #expect(try DfuSeMemoryLayout.parse("@NoMultiplier /0x20000000/04*256a").regions[0].size == 1024)
    }

    @Test func readsSeveralRegionsAndMixedSectorTypes() throws {
        let layout = try DfuSeMemoryLayout.parse("@Internal Flash   /0x08000000/8*001Ka,56*001Kg/0x20000000/01*020Kg ")
        #expect(layout.regions.map(\.start) == [0x0800_0000, 0x2000_0000])
        #expect(layout.regions[0].size == 64 * 1024 && layout.regions[1].size == 20 * 1024)
        #expect(layout.sector(containing: 0x0800_1C00)?.access == .readable, "the bootloader's own pages: read only")
        #expect(!layout.allows(.writable, from: 0x0800_1C00, count: 0x800), "crosses from read-only into writable pages")
        #expect(layout.allows(.writable, from: 0x0800_2000, count: 0x800))
        #expect(layout.region(containing: 0x2000_4FFF)?.start == 0x2000_0000)
        #expect(layout.sector(containing: 0x1000_0000) == nil, "the gap between regions")
    }

    @Test func theCanonicalFormParsesBackToTheSameLayout() throws {
        for string in [Self.f4, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "@X/0x0/8*001Ka,56*001Kg/0x20000000/01*001Mg,3*100Bb"] {
            let layout = try DfuSeMemoryLayout.parse(string)
            #expect(try DfuSeMemoryLayout.parse(layout.encoded) == layout, "\(layout.encoded)")
        }
        #expect(try DfuSeMemoryLayout.parse(Self.f4).encoded == "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg")
    }

    @Test func malformedStringsAreOneLineErrorsNamingTheByte() throws {
        #expect(Self.layoutError("")?.description
                == "DfuSe memory layout \"\" (byte 0): does not start with \"@\": not a DfuSe memory layout (expected \"@name/0xADDRESS/sectors\")")
        #expect(Self.layoutError("@Internal Flash")?.description
                == "DfuSe memory layout \"@Internal Flash\" (byte 15): no \"/\" after the name: expected \"@name/0xADDRESS/sectors\"")
        #expect(Self.layoutError("@Flash /0x08000000/04*016Kz")?.description
                == "DfuSe memory layout \"@Flash /0x08000000/04*016Kz\" (byte 26): expected the sector type letter a-g (readable 1, erasable 2, writable 4, plus 0x60), found \"z\"")
        let cases: [(String, Int, String)] = [
            ("Internal Flash /0x08000000/04*016Kg", 0, "does not start with \"@\""),
            ("@Flash /08000000/04*016Kg", 8, "expected a start address in hex"),
            ("@Flash /0x/04*016Kg", 10, "expected hex digits after \"0x\""),
            ("@Flash /0x123456789/01*016Kg", 10, "more than 8 hex digits"),
            ("@Flash /0x0800000G/04*016Kg", 17, "expected \"/\" after the address, found \"G\""),
            ("@Flash /0x08000000", 18, "the string ends after the address"),
            ("@Flash /0x08000000/", 19, "expected the sector count in decimal, found the end of the string"),
            ("@Flash /0x08000000/04x016Kg", 21, "expected \"*\" between the sector count and the sector size"),
            ("@Flash /0x08000000/00*016Kg", 19, "the sector count is 0"),
            ("@Flash /0x08000000/04*000Kg", 22, "the sector size is 0"),
            ("@Flash /0x08000000/04*016K", 26, "found the end of the string"),
            ("@Flash /0x08000000/04*016Kg,", 28, "expected the sector count in decimal, found the end of the string"),
            ("@Flash /0x08000000/04*016Kg;", 27, "unexpected \";\" after the sectors"),
            ("@Flash /0x08000000/1234567890*1Kg", 19, "the sector count has more than 9 digits"),
            ("@Flash /0x08000000/01*999999999Mg", 22, "larger than the 32-bit address space"),
            ("@Flash /0xFFFFF000/02*004Kg", 19, "runs past the end of the 32-bit address space"),
            ("@Flash /0x08000000/04*016Kg/0x08004000/01*016Kg", 28, "region 0x08004000-0x08008000 overlaps region 0x08000000-0x08010000"),
            ("@Flash /0x08000000/04*016Kg\u{7}", 27, "unexpected byte 0x07 after the sectors"),
        ]
        for (string, offset, problem) in cases {
            let error = try #require(Self.layoutError(string), "\(string) should be refused")
            #expect(error.offset == offset, "\(string): \(error)")
            #expect(error.problem.contains(problem), "\(string): \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func controlCharactersAndLongStringsStayOnOneShortLine() throws {
        let error = try #require(Self.layoutError("@Fl\nash\r/0x08000000/04*016Kg" + String(repeating: "!", count: 500)))
        #expect(!error.description.contains("\n") && !error.description.contains("\r"))
        #expect(error.description.contains("@Fl\\nash\\r"))
        #expect(error.description.count < 300)
    }

    /// Every prefix of valid strings, random bytes and seeded mutations: a layout or an error, never a trap.
    @Test func anyStringGivesALayoutOrAnError() {
        let seeds = [Self.f4, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e", "@X /0x08000000/8*001Ka,56*001Kg/0x20000000/01*020Kg"]
        var parsed = 0, refused = 0
        func check(_ string: String) {
            do {
                let layout = try DfuSeMemoryLayout.parse(string)
                for region in layout.regions { #expect(region.end <= 1 << 32) }
                parsed += 1
            } catch {
                #expect(!error.description.contains("\n"))
                #expect(error.offset >= 0 && error.offset <= string.utf8.count)
                refused += 1
            }
        }
        for seed in seeds {
            let bytes = Array(seed.utf8)
            for end in 0...bytes.count { check(String(decoding: bytes[..<end], as: UTF8.self)) }
        }
        var random = RobustnessTests.Random(seed: 0xD15E)
        let alphabet = Array("@/0x123456789abcdefgKMB *,\u{0}\u{7f}zZ".utf8)
        for _ in 0..<3_000 {
            let length = Int(random.next() % 60)
            check(String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self))
        }
        for _ in 0..<3_000 {
            var bytes = Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8)
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                bytes[at] = random.next() % 2 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: random.next())
            }
            check(String(decoding: bytes, as: UTF8.self))
        }
        #expect(parsed > 3 && refused > 1_000)
    }
}
