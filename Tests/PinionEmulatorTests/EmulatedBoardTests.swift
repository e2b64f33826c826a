import PinionEmulator
import PinionUSB
import Testing

@Suite("Emulated boards")
struct EmulatedBoardTests {
    static let model = EmulatedBoardModel(
        boardID: "test-board", manufacturer: "Pinion", product: "Test NPU",
        runtime: .init(id: USBID(vendor: 0x1209, product: 0x0002), interfaces: [
            USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFF, endpoints: [
                USBEndpoint(address: 0x01, type: .bulk, maxPacketSize: 512),
                USBEndpoint(address: 0x81, type: .bulk, maxPacketSize: 512),
            ]),
            USBInterfaceSetting(interfaceNumber: 1, interfaceClass: 0xFE, interfaceSubclass: 1, interfaceProtocol: 1,
                                extra: [DFUFunctionalDescriptor(canUpload: true, willDetach: true).rawDescriptor]),
        ]),
        bootloader: .init(id: USBID(vendor: 0x1209, product: 0x0003), interfaces: [
            USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0xFE, interfaceSubclass: 1, interfaceProtocol: 2,
                                extra: [DFUFunctionalDescriptor(canUpload: true, willDetach: true).rawDescriptor]),
        ]),
        firmwareVersion: 0x0203)

    @Test func enumeratesWithFullDescriptorsAndStrings() throws {
        let host = EmulatedUSBHost()
        _ = EmulatedBoard(model: Self.model, serial: "EMU-0001", host: host, ports: [1])
        let info = try #require(try host.devices(readStrings: true).first)
        #expect(info.id.description == "1209:0002")
        #expect(info.descriptor.deviceVersion == 0x0203)
        #expect(info.strings == USBDeviceStrings(manufacturer: "Pinion", product: "Test NPU", serialNumber: "EMU-0001"))
        #expect(info.interfaceSettings.count == 2)
        #expect(info.dfuInterface?.interfaceProtocol == 1)
        #expect(info.dfuInterface?.dfuFunctional?.willDetach == true)
        #expect(info.speed == .high)
    }

    @Test func dfuDetachReenumeratesWithBootloaderIDs() async throws {
        let host = EmulatedUSBHost()
        let board = EmulatedBoard(model: Self.model, serial: "EMU-0002", host: host, ports: [2])
        var events = try host.hotplugEvents(includeExisting: false).makeAsyncIterator()
        let runtime = try host.open(try #require(try host.devices(readStrings: false).first).location)
        try runtime.controlOut(USBSetupPacket(direction: .out, kind: .class, recipient: .interface, request: 0, value: 1000, index: 1))
        guard case .left(_, let leftID) = await events.next(), case .arrived(let info) = await events.next() else {
            Issue.record("expected the board to leave and come back")
            return
        }
        #expect(leftID.description == "1209:0002")
        #expect(info.id.description == "1209:0003")
        #expect(info.dfuInterface?.interfaceProtocol == 2)
        #expect(info.location.port == runtime.info.location.port)
        #expect(board.currentMode == .bootloader)
        let stale = #expect(throws: USBError.self) { try runtime.controlIn(.getDescriptor(.device, length: 18)) }
        #expect(stale?.code == .noDevice)
    }

    @Test func detachToTheWrongInterfaceStalls() throws {
        let host = EmulatedUSBHost()
        _ = EmulatedBoard(model: Self.model, serial: "EMU-0003", host: host, ports: [3])
        let device = try host.open(try #require(try host.devices(readStrings: false).first).location)
        let error = #expect(throws: USBError.self) {
            try device.controlOut(USBSetupPacket(direction: .out, kind: .class, recipient: .interface, request: 0, index: 0))
        }
        #expect(error?.code == .stall)
    }

    @Test func unplugAndPlugIn() throws {
        let host = EmulatedUSBHost()
        let board = EmulatedBoard(model: Self.model, serial: "EMU-0004", host: host, ports: [4], mode: .bootloader)
        #expect(try host.devices(readStrings: false).map(\.id.description) == ["1209:0003"])
        board.unplug()
        #expect(try host.devices(readStrings: false).isEmpty)
        board.plugIn()
        #expect(try host.devices(readStrings: false).map(\.id.description) == ["1209:0003"])
    }
}
