import PinionUSB
import Testing

@Suite("USB errors")
struct USBErrorTests {
    @Test func everyLibusbCodeMapsToItsCase() {
        let expected: [Int32: USBError.Code] = [
            -1: .io, -2: .invalidParameter, -3: .accessDenied, -4: .noDevice, -5: .notFound, -6: .busy,
            -7: .timeout, -8: .overflow, -9: .stall, -10: .interrupted, -11: .noMemory, -12: .notSupported, -99: .other,
        ]
        for (raw, code) in expected {
            #expect(USBError(libusbCode: raw, operation: "x").code == code)
        }
        #expect(USBError(libusbCode: -42, operation: "x").code == .other)
    }

    @Test func descriptionSaysWhatWhereAndTheLibusbName() {
        let error = USBError(.timeout, operation: "bulk IN 0x81", device: "1-1.2 (1209:0002)", detail: "after 1000 ms")
        #expect(error.description == "USB bulk IN 0x81 on 1-1.2 (1209:0002): timed out after 1000 ms (LIBUSB_ERROR_TIMEOUT)")
        let denied = USBError(.accessDenied, operation: "open", device: "1-1")
        #expect(denied.description.contains("udev/70-pinion.rules"))
        #expect(!denied.description.contains("\n"))
    }

    @Test func onNamesTheDeviceOnlyOnce() {
        let named = USBError(.stall, operation: "control transfer").on("1-3").on("1-4")
        #expect(named.device == "1-3")
    }

    @Test func setupPacketWireFormat() {
        let setup = USBSetupPacket.getDescriptor(.string, index: 2, language: 0x0409, length: 255)
        #expect(setup.bytes == [0x80, 0x06, 0x02, 0x03, 0x09, 0x04, 0xFF, 0x00])
        #expect(USBSetupPacket(bytes: setup.bytes) == setup)
        #expect(setup.direction == .in && setup.kind == .standard && setup.recipient == .device)
    }

    @Test func usbIDParsing() {
        #expect(USBID("1a6e:089A") == USBID(vendor: 0x1A6E, product: 0x089A))
        #expect(USBID("1a6e:089a")?.description == "1a6e:089a")
        for bad in ["1a6e-089a", "1a6e:89a", "xyzw:0001", "", "1a6e:089a:0"] {
            #expect(USBID(bad) == nil, "\(bad)")
        }
    }
}
