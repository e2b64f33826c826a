import PinionEmulator
import PinionUSB
import Testing

@Suite("Descriptor parsing")
struct DescriptorParserTests {
    @Test func parsesDeviceDescriptor() throws {
        let device = try USBDescriptorParser.device(DescriptorFixtures.device)
        #expect(device.id == USBID(vendor: 0x1209, product: 0x0002))
        #expect(device.usbVersion == 0x0200)
        #expect(device.deviceVersion == 0x0102)
        #expect(device.maxPacketSize0 == 64)
        #expect([device.manufacturerIndex, device.productIndex, device.serialNumberIndex] == [1, 2, 3])
        #expect(device.configurationCount == 1)
    }

    @Test func parsesConfigurationWithEndpointsAndDFUFunctionalDescriptor() throws {
        let configuration = try USBDescriptorParser.configuration(DescriptorFixtures.configuration)
        #expect(configuration.value == 1)
        #expect(configuration.maxPowerUnits == 0xFA)
        #expect(configuration.interfaces.map(\.number) == [0, 1])
        let vendor = try #require(configuration.interfaces.first?.settings.first)
        #expect(vendor.interfaceClass == 0xFF)
        #expect(vendor.endpoints.map(\.address) == [0x01, 0x81])
        #expect(vendor.endpoints.map(\.direction) == [.out, .in])
        #expect(vendor.endpoints.allSatisfy { $0.transferType == .bulk && $0.maxPacketSize == 512 })
        let dfu = try #require(configuration.interfaces.last?.settings.first)
        #expect(dfu.isDFU)
        #expect(dfu.interfaceProtocol == 1)
        let functional = try #require(dfu.dfuFunctional)
        #expect(functional.canDownload && functional.canUpload && functional.manifestationTolerant && functional.willDetach)
        #expect(functional.detachTimeoutMilliseconds == 1000)
        #expect(functional.transferSize == 4096)
        #expect(functional.dfuVersion == 0x0110)
    }

    @Test func encoderRoundTripsToTheSameBytes() throws {
        let configuration = try USBDescriptorParser.configuration(DescriptorFixtures.configuration)
        #expect(USBDescriptorEncoder.configuration(configuration) == DescriptorFixtures.configuration)
        let device = try USBDescriptorParser.device(DescriptorFixtures.device)
        #expect(USBDescriptorEncoder.device(device) == DescriptorFixtures.device)
    }

    @Test func parsesAlternateSettingsUnderOneInterface() throws {
        let setting0 = USBInterfaceSetting(interfaceNumber: 0, alternateSetting: 0, interfaceClass: 0xFE, interfaceSubclass: 1, interfaceProtocol: 2)
        let setting1 = USBInterfaceSetting(interfaceNumber: 0, alternateSetting: 1, interfaceClass: 0xFE, interfaceSubclass: 1, interfaceProtocol: 2)
        let bytes = USBDescriptorEncoder.configuration(USBConfiguration(interfaces: [USBInterface(number: 0, settings: [setting0, setting1])]))
        let parsed = try USBDescriptorParser.configuration(bytes)
        #expect(parsed.interfaces.count == 1)
        #expect(parsed.interfaces[0].settings.map(\.alternateSetting) == [0, 1])
    }

    @Test func dfu10FunctionalDescriptorWithoutVersion() throws {
        let functional = try DFUFunctionalDescriptor(bytes: [0x07, 0x21, 0x01, 0xFF, 0x00, 0x00, 0x04])
        #expect(functional.canDownload && !functional.canUpload)
        #expect(functional.transferSize == 1024)
        #expect(functional.dfuVersion == 0x0100)
    }

    @Test func stringDescriptorsDecodeUTF16() throws {
        #expect(try USBDescriptorParser.string(USBDescriptorEncoder.string("Pinion µNPU")) == "Pinion µNPU")
        #expect(try USBDescriptorParser.languages([0x04, 0x03, 0x09, 0x04]) == [0x0409])
    }

    @Test func sysfsBlobWithDeviceAndConfigurations() throws {
        let (device, configurations) = try USBDescriptorParser.deviceAndConfigurations(DescriptorFixtures.device + DescriptorFixtures.configuration)
        #expect(device.id.description == "1209:0002")
        #expect(configurations.count == 1)
    }
}

@Suite("Malformed descriptors")
struct MalformedDescriptorTests {
    static let cases: [(String, [UInt8], String)] = {
        let good = DescriptorFixtures.configuration
        var longerTotal = good
        longerTotal[2] = 0x40
        var shorterTotal = good
        shorterTotal[2] = 0x20
        var tinyTotal = good
        tinyTotal[2] = 0x05
        var zeroLength = good
        zeroLength[9] = 0
        var overrun = good
        overrun[41] = 0x20
        var endpointFirst = good
        endpointFirst.replaceSubrange(9..<18, with: [0x09, 0x0B, 0, 0, 0, 0, 0, 0, 0])
        var nested = good
        nested[10] = 0x01
        return [
            ("truncated configuration", Array(good.prefix(20)), "truncated"),
            ("wTotalLength larger than the data", longerTotal, "wTotalLength says 64 bytes but only 50"),
            ("wTotalLength smaller than the data", shorterTotal, "wTotalLength says 32 bytes but 50"),
            ("wTotalLength under 9", tinyTotal, "shorter than the 9-byte"),
            ("bLength 0 inside the configuration", zeroLength, "bLength 0"),
            ("descriptor running past wTotalLength", overrun, "runs past wTotalLength"),
            ("endpoint before any interface", endpointFirst, "endpoint descriptor before any interface"),
            ("device descriptor inside a configuration", nested, "unexpected descriptor type 0x01"),
            ("empty input", [], "truncated"),
            ("one byte", [0x09], "truncated"),
            ("bLength 0 header", [0x00, 0x02, 0x2E, 0x00, 0, 0, 0, 0, 0], "bLength is 0"),
            ("wrong type", [0x09, 0x04, 0x09, 0x00, 0, 0, 0, 0, 0], "expected configuration descriptor"),
        ]
    }()

    @Test(arguments: cases.indices)
    func malformedConfigurationIsAClearError(_ index: Int) {
        let (name, bytes, expected) = Self.cases[index]
        do {
            let parsed = try USBDescriptorParser.configuration(bytes)
            Issue.record("\(name): parsed as \(parsed) instead of failing")
        } catch {
            #expect(error.description.contains(expected), "\(name): \(error.description)")
            #expect(error.description.hasPrefix("malformed USB descriptor at byte "))
        }
    }

    @Test func truncatedDeviceDescriptor() {
        #expect(throws: USBDescriptorError.self) { try USBDescriptorParser.device(Array(DescriptorFixtures.device.prefix(10))) }
        var zero = DescriptorFixtures.device
        zero[0] = 0
        #expect(throws: USBDescriptorError(offset: 0, problem: "bLength is 0")) { try USBDescriptorParser.device(zero) }
    }

    @Test func shortDFUFunctionalDescriptorIsIgnoredNotFatal() throws {
        var bytes = DescriptorFixtures.configuration
        bytes.replaceSubrange(41..<50, with: [0x04, 0x21, 0x0F, 0xE8])
        bytes[2] = UInt8(bytes.count)
        let configuration = try USBDescriptorParser.configuration(bytes)
        #expect(configuration.interfaces.last?.settings.first?.dfuFunctional == nil)
        #expect(configuration.interfaces.last?.settings.first?.extra.count == 1)
    }

    /// Random corruption of a valid configuration must end in a parse or a USBDescriptorError, never a crash.
    @Test func mutatedDescriptorsNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        var failures = 0
        for _ in 0..<20_000 {
            var bytes = DescriptorFixtures.configuration
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            if generator.next() % 3 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
            do {
                _ = try USBDescriptorParser.configuration(bytes)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 1_000, "corruption should usually be caught")
    }
}

