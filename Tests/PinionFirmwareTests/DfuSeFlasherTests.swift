import Foundation
import PinionBoards
import PinionEmulator
import PinionFirmware
import PinionUSB
import Testing

/// Whole DfuSe flashes through `DFUFlasher` onto emulated STM32 system bootloaders on an
/// in-process USB host: alternate settings and their layouts read from the device, erase, write,
/// read-back, leave; memory contents checked afterwards.
@Suite("DfuSe flasher on an emulated STM32")
struct DfuSeFlasherTests {
    static let catalogue = DFUFlasherTests.catalogue

    /// An STM32F4 bootloader as the catalogue presents it; `alternate1` replaces alt 1's layout.
    static func stm32(_ serial: String, on host: EmulatedUSBHost, ports: [UInt8] = [1], alternate1: String? = nil) -> EmulatedBoard {
        var model = EmulatedBoardModel(board: catalogue.board(id: "stm32-dfu-bootloader")!)
        if let alternate1, var bootloader = model.bootloader,
           let index = bootloader.interfaces.first(where: { $0.alternateSetting == 1 })?.descriptionIndex {
            bootloader.strings[index] = alternate1
            model.bootloader = bootloader
        }
        return EmulatedBoard(model: model, serial: serial, host: host, ports: ports, mode: .bootloader)
    }

    static func fixture() throws -> FirmwareImage { try FirmwareImage.load(path: ImageFixtures.path("dfuse.dfu")) }

    /// Waits up to a second for the board to leave the bus (it jumps 10 ms after answering).
    static func leftTheBus(_ host: EmulatedUSBHost, ports: [UInt8]) async -> Bool {
        for _ in 0..<100 {
            if host.device(at: ports) == nil { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func theEmulatedSTM32PresentsItsLayoutsAndDfuSe() throws {
        let host = EmulatedUSBHost()
        let board = Self.stm32("ST-0", on: host)
        let info = try #require(try host.devices(readStrings: true).first)
        #expect(info.descriptor.id == USBID(vendor: 0x0483, product: 0xDF11))
        let settings = info.interfaceSettings.filter { $0.isDFU }
        #expect(settings.map(\.alternateSetting) == [0, 1, 2, 3])
        #expect(settings.allSatisfy { $0.dfuFunctional?.dfuVersion == 0x011A && $0.dfuFunctional?.transferSize == 2048 })
        let device = try host.open(info.location)
        defer { device.close() }
        #expect(try device.readString(index: settings[0].descriptionIndex) == "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg")
        #expect(board.dfuseLayouts[2]?.name == "OTP Memory")
    }

    @Test func flashesTheFlashElementsOfADfuSePackFileAndTheBoardJumpsToThem() async throws {
        let host = EmulatedUSBHost()
        let board = Self.stm32("ST-1", on: host)
        let image = try Self.fixture()
        let segments = image.segments.filter { $0.alternateSetting == 0 }
        #expect(segments.map(\.address) == [0x0800_0000, 0x0801_0000])
        let events = Recorder<DFUFlashProgress>()
        let result = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "ST-1", segments: segments) { events.append($0) }

        #expect(board.memory(at: 0x0800_0000, count: 4096) == (try ImageFixtures.bytes("raw.bin")))
        #expect(board.memory(at: 0x0801_0000, count: 512) == (try ImageFixtures.bytes("second.bin")))
        #expect(board.dfuseMemory.isErased(0x0800_1000, count: 0xF000), "between the elements: erased")
        #expect(board.dfuseMemory.isErased(0x0801_0200, count: 0xFE00))
        #expect(board.dfuseExit == .jumped(to: 0x0800_0000), "left to the start address")
        #expect(await Self.leftTheBus(host, ports: [1]), "its application has no USB: it leaves the bus")

        #expect(result.board == "stm32-dfu-bootloader")
        #expect(result.bytes == 4608)
        #expect(result.manifest == .deviceResetDuringManifestation)
        #expect(result.verification == .readBack)
        #expect(result.runtimeVersion == nil)
        let stages = events.values.map(\.stage)
        #expect(stages.first == .download && stages.last == .reboot && stages.contains(.verify))
        #expect(events.values.last { $0.stage == .download }?.bytesDone == 4608)
        #expect(events.values.allSatisfy { $0.bytesTotal == 4608 && $0.bytesDone <= 4608 })
    }

    @Test func theWholeFileGoesThroughBothAlternateSettingsOfAPartWhoseMemoryHoldsIt() async throws {
        let host = EmulatedUSBHost()
        // A part whose alt 1 is 1 KiB of one-time-programmable memory at 0x1FFF7800 (the fixture's third element).
        let board = Self.stm32("ST-2", on: host, alternate1: "@OTP Memory /0x1FFF7800/01*001Ke")
        let result = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "ST-2", firmware: try Self.fixture())
        #expect(board.memory(at: 0x0800_0000, count: 4096) == (try ImageFixtures.bytes("raw.bin")))
        #expect(board.memory(at: 0x0801_0000, count: 512) == (try ImageFixtures.bytes("second.bin")))
        #expect(board.memory(at: 0x1FFF_7800, count: 1024) == (try ImageFixtures.bytes("small.bin")))
        #expect(result.bytes == 5632 && result.verification == .readBack)
        #expect(board.dfuseExit == .jumped(to: 0x0800_0000))
    }

    @Test func aFileThatDoesNotFitIsRefusedBeforeAnythingIsWritten() async throws {
        let host = EmulatedUSBHost()
        let board = Self.stm32("ST-3", on: host)
        let image = try Self.fixture()
        do {
            _ = try await DFUFlasher(host: host, catalogue: Self.catalogue).flash(serial: "ST-3", firmware: image)
            Issue.record("an STM32F4 has no 1 KiB of writable memory at 0x1FFF7800")
        } catch {
            #expect(error.stage == .download)
            #expect(error.description.hasPrefix("flash ST-3: download: refused before writing anything: segment 2: 1024 bytes at "
                                                + "0x1fff7800-0x1fff7c00 (for alt 1) fit no writable memory of the device: alt 0 \"Internal Flash\""))
            #expect(!error.description.contains("\n"))
        }
        #expect(board.dfuseMemory == EmulatedFlashMemory(), "nothing erased or written")
        #expect(board.dfuseExit == nil && host.device(at: [1]) != nil, "still waiting in its bootloader")
    }

    @Test func afterAResetIntoTheBootloaderItFlashesAgainOverTheOldFirmware() async throws {
        let host = EmulatedUSBHost()
        let board = Self.stm32("ST-4", on: host)
        let flasher = DFUFlasher(host: host, catalogue: Self.catalogue)
        let old = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 3) }  // sectors 0-3 (16 KiB each)
        _ = try await flasher.flash(serial: "ST-4", segments: [FirmwareSegment(address: 0x0800_0000, data: old)])
        #expect(await Self.leftTheBus(host, ports: [1]))
        board.plugIn()  // reset with BOOT0 high
        let new = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 5 &+ 1) }  // sectors 0-1
        let result = try await flasher.flash(serial: "ST-4", segments: [FirmwareSegment(address: 0x0800_0000, data: new)])
        #expect(result.verification == .readBack)
        #expect(board.memory(at: 0x0800_0000, count: 20_000) == new)
        #expect(board.dfuseMemory.isErased(0x0800_0000 + 20_000, count: 0x8000 - 20_000),
                "sectors 0-1 were erased again: the old bytes after the new image in them are gone")
        #expect(board.memory(at: 0x0800_8000, count: 60_000 - 0x8000) == Array(old[0x8000...]), "sectors 2-3 were not touched")
    }

    @Test func aFailingEraseIsAOneLineErrorNamingTheSector() async throws {
        let host = EmulatedUSBHost()
        let board = Self.stm32("ST-5", on: host)
        var behaviour = board.dfuseBehaviour
        behaviour.failEraseAt = 0x0800_4000
        board.dfuseBehaviour = behaviour
        board.reenumerate(as: .bootloader)
        do {
            _ = try await DFUFlasher(host: host, catalogue: Self.catalogue)
                .flash(serial: "ST-5", segments: [FirmwareSegment(address: 0x0800_0000, data: [UInt8](repeating: 0x5A, count: 0x5000))])
            Issue.record("the erase should have failed")
        } catch {
            #expect(error.description == "flash ST-5: download: the device reported errERASE in dfuERROR at command erase sector 0x08004000: "
                    + DFUStatusCode.errErase.meaning)
        }
        #expect(board.dfuseExit == nil, "it stays in its bootloader")
    }

    @Test func aDFUBoardRefusesAddressedSegmentsAndTakesAPlainOne() async throws {
        let host = EmulatedUSBHost()
        let board = DFUFlasherTests.board("D-1", on: host, ports: [2], mode: .bootloader)
        let flasher = DFUFlasher(host: host, catalogue: Self.catalogue)
        let dfuse = try Self.fixture()
        do {
            _ = try await flasher.flash(serial: "D-1", firmware: dfuse)
            Issue.record("a DFU 1.1 board cannot take a DfuSe file")
        } catch {
            #expect(error.stage == .probe)
            #expect(error.reason.contains("DFU 1.1, which takes one image without addresses; this one has 3 segments (one at 0x08000000)"))
        }
        let image = DFUFlasherTests.image(major: 1, minor: 4, size: 6000)
        let result = try await flasher.flash(serial: "D-1", segments: [FirmwareSegment(data: image)])
        #expect(board.firmware == image && result.runtimeVersion == "1.04")
    }
}
