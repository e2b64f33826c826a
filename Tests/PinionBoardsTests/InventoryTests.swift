import PinionBoards
import PinionEmulator
import PinionUSB
import Testing

/// The inventory and monitor `pinion list` and `pinion run` use, on emulated boards built from the shipped catalogue.
@Suite("Inventory and board monitor")
struct InventoryTests {
    let catalogue: BoardCatalogue

    init() throws {
        catalogue = try BoardCatalogue.load(directories: [Repository.boards])
    }

    private func model(_ id: String) throws -> EmulatedBoardModel {
        EmulatedBoardModel(board: try #require(catalogue.board(id: id)))
    }

    @Test func listsEmulatedBoardsWithModelModeSerialAndVersion() throws {
        let host = EmulatedUSBHost()
        _ = EmulatedBoard(model: try model("pinion-emu-npu-s"), serial: "S-1", host: host, ports: [1])
        _ = EmulatedBoard(model: try model("pinion-emu-npu-l"), serial: "L-1", host: host, ports: [2, 3], mode: .bootloader)
        let devices = try BoardInventory(catalogue: catalogue).scan(host, includeUnknown: false)
        #expect(devices.map(\.path) == ["1-1", "1-2.3"])
        #expect(devices.map(\.board) == ["pinion-emu-npu-s", "pinion-emu-npu-l"])
        #expect(devices.map(\.mode) == [.runtime, .bootloader])
        #expect(devices.map(\.serial) == ["S-1", "L-1"])
        #expect(devices[0].deviceVersion == "1.02")
        #expect(devices[0].product == "Pinion EMU-NPU S")
        #expect(devices[1].product == "Pinion EMU-NPU L (DFU)")
    }

    @Test func emulatedBoardsPresentTheCataloguedInterfaces() throws {
        let host = EmulatedUSBHost()
        _ = EmulatedBoard(model: try model("pinion-emu-npu-s"), serial: "S-1", host: host, ports: [1])
        let info = try #require(try host.devices(readStrings: false).first)
        let board = try #require(catalogue.board(id: "pinion-emu-npu-s"))
        let expected = try #require(board.runtime).interfaces
        #expect(info.interfaceSettings.map(\.interfaceNumber) == expected.map(\.number))
        #expect(info.interfaceSettings.map(\.interfaceClass) == expected.map(\.interfaceClass))
        #expect(info.interfaceSettings[0].endpoints.map(\.address) == expected[0].endpoints.map(\.address))
        let functional = try #require(info.dfuInterface?.dfuFunctional)
        #expect(functional.willDetach && functional.canUpload && functional.manifestationTolerant)
        #expect(functional.transferSize == 4096)
    }

    @Test func unknownDevicesOnlyWhenAsked() throws {
        let host = EmulatedUSBHost()
        host.attach(EmulatedUSBDevice(id: USBID(vendor: 0x046D, product: 0xC52B), manufacturer: "Logitech", product: "USB Receiver",
                                      serial: nil, interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 3)]), ports: [1])
        let inventory = BoardInventory(catalogue: catalogue)
        #expect(try inventory.scan(host, includeUnknown: false).isEmpty)
        let all = try inventory.scan(host, includeUnknown: true)
        #expect(all.count == 1)
        #expect(all[0].board == nil && all[0].product == "USB Receiver")
    }

    @Test func devicesThatCannotBeOpenedAreListedWithTheReason() throws {
        let host = EmulatedUSBHost()
        let board = EmulatedBoard(model: try model("pinion-emu-npu-s"), serial: "S-1", host: host, ports: [1])
        host.device(at: board.ports)?.denyOpen()
        let devices = try BoardInventory(catalogue: catalogue).scan(host, includeUnknown: false)
        #expect(devices.count == 1)
        #expect(devices[0].board == "pinion-emu-npu-s", "ids alone identify the board")
        #expect(devices[0].serial == nil)
        #expect(devices[0].problem?.contains("no permission") == true)
    }

    @Test func monitorReportsAttachDetachAndReenumeration() async throws {
        let host = EmulatedUSBHost()
        let small = EmulatedBoard(model: try model("pinion-emu-npu-s"), serial: "S-1", host: host, ports: [1])
        let monitor = BoardMonitor(inventory: BoardInventory(catalogue: catalogue), host: host)
        var events = try monitor.events(includeExisting: true).makeAsyncIterator()
        guard case .attached(let first) = await events.next() else { Issue.record("no initial attach"); return }
        #expect(first.board == "pinion-emu-npu-s" && first.serial == "S-1")

        small.unplug()
        guard case .detached(let gone) = await events.next() else { Issue.record("no detach"); return }
        #expect(gone.serial == "S-1" && gone.path == "1-1")

        let large = EmulatedBoard(model: try model("pinion-emu-npu-l"), serial: "L-1", host: host, ports: [2])
        guard case .attached(let arrived) = await events.next() else { Issue.record("no attach"); return }
        #expect(arrived.board == "pinion-emu-npu-l" && arrived.mode == .runtime)

        large.reenumerate(as: .bootloader)
        guard case .detached(let left) = await events.next(), case .attached(let back) = await events.next() else {
            Issue.record("re-enumeration should be a detach then an attach"); return
        }
        #expect(left.mode == .runtime)
        #expect(back.mode == .bootloader && back.serial == "L-1" && back.path == "1-2")
    }

    @Test func monitorIgnoresUnknownDevices() async throws {
        let host = EmulatedUSBHost()
        let monitor = BoardMonitor(inventory: BoardInventory(catalogue: catalogue), host: host)
        var events = try monitor.events(includeExisting: false).makeAsyncIterator()
        host.attach(EmulatedUSBDevice(id: USBID(vendor: 0x046D, product: 0xC52B), manufacturer: "Logitech", product: "Receiver",
                                      serial: nil, interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 3)]), ports: [5])
        _ = EmulatedBoard(model: try model("pinion-emu-npu-s"), serial: "S-9", host: host, ports: [6])
        guard case .attached(let device) = await events.next() else { Issue.record("no attach"); return }
        #expect(device.serial == "S-9")
    }
}
