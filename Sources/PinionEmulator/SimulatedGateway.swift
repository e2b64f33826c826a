import PinionBoards
import PinionI2C
import PinionUSB

/// The gateway `--simulate` runs against: Pinion's emulated boards, a Coral waiting in its
/// bootloader, one device the catalogue does not know, and an I2C bus with one chip of each
/// kind Pinion drives, built from the board catalogue so the boards are what boards/*.toml say.
public final class SimulatedGateway: Sendable {
    public let usb: EmulatedUSBHost
    public let boards: [EmulatedBoard]
    public let i2c: EmulatedI2CBusSet
    public let chips: EmulatedI2CChipSet
    /// Power models by board serial: EMU-S-0001's 5 V rail is measured by the INA226 at 0x41
    /// (0.01 Ω), EMU-L-0001's 12 V rail by the INA228 at 0x44 (0.015 Ω).
    public let powerModels: [String: EmulatedPowerModel]

    /// An id the catalogue does not know (a wireless keyboard receiver), as gateways often have.
    public static let unknownDevice = USBID(vendor: 0x046D, product: 0xC52B)

    /// Builds the standard simulated gateway. Boards the catalogue lacks are left out.
    public init(catalogue: BoardCatalogue, taps: [any USBTap] = []) {
        let usb = EmulatedUSBHost(taps: taps)
        var boards: [EmulatedBoard] = []
        let plan: [(String, EmulatedBoardMode, [UInt8], String)] = [
            ("pinion-emu-npu-s", .runtime, [1], "EMU-S-0001"),
            ("pinion-emu-npu-s", .runtime, [2], "EMU-S-0002"),
            ("pinion-emu-npu-l", .runtime, [3, 1], "EMU-L-0001"),
            ("pinion-emu-npu-l", .bootloader, [3, 2], "EMU-L-0002"),
            ("coral-usb-accelerator", .bootloader, [4], "CORAL-0001"),
            // An STM32 held in its ROM bootloader (BOOT0 high); its serial is derived from the chip's unique id.
            ("stm32-dfu-bootloader", .bootloader, [6], "3574364C3034"),
        ]
        for (id, mode, ports, serial) in plan {
            guard let board = catalogue.board(id: id) else { continue }
            boards.append(EmulatedBoard(model: EmulatedBoardModel(board: board), serial: serial, host: usb, ports: ports, mode: mode))
        }
        usb.attach(EmulatedUSBDevice(id: Self.unknownDevice, deviceVersion: 0x1211, manufacturer: "Logitech",
                                     product: "USB Receiver", serial: nil,
                                     interfaces: [USBInterfaceSetting(interfaceNumber: 0, interfaceClass: 0x03, interfaceSubclass: 1, interfaceProtocol: 1,
                                                                      endpoints: [USBEndpoint(address: 0x81, type: .interrupt, maxPacketSize: 8, interval: 8)])],
                                     speed: .full),
                   ports: [5])
        let chips = EmulatedI2CChipSet(name: "i2c-1")
        // A second EEPROM that the kernel's at24 driver has bound: i2cdetect shows it as UU.
        chips.bus.claim(0x51)
        // The rail monitors measure two boards' power models, with the idle and active watts of
        // their catalogue entries (a random load until the scheduler drives them), on the
        // gateway's own clock: seconds since it started.
        let origin = ContinuousClock.now
        let now: @Sendable () -> Double = { (ContinuousClock.now - origin).seconds }
        func model(_ board: String, volts: Double, seed: UInt64) -> EmulatedPowerModel {
            let emulation = catalogue.board(id: board)?.emulation
            let idle = emulation?.idleWatts ?? 1, active = emulation?.activeWatts ?? 4
            let model = EmulatedPowerModel(.init(idleWatts: idle, activeWatts: active, noiseWatts: 0.02 * active, busVolts: volts), seed: seed)
            model.apply(EmulatedPowerModel.randomLoad(seed: seed, duration: 86_400))
            return model
        }
        let small = model("pinion-emu-npu-s", volts: 5, seed: 1)
        chips.ina226.connect(to: EmulatedRail(model: small, shuntOhms: 0.01, now: now))
        let large = model("pinion-emu-npu-l", volts: 12, seed: 2)
        chips.ina228.connect(to: EmulatedRail(model: large, shuntOhms: 0.015, now: now))
        powerModels = ["EMU-S-0001": small, "EMU-L-0001": large]
        self.usb = usb
        self.boards = boards
        self.chips = chips
        self.i2c = EmulatedI2CBusSet(buses: [1: (name: "Pinion emulated SMBus", bus: chips.bus)])
    }

    /// Ends hotplug streams, as the real host does on shutdown.
    public func shutdown() { usb.shutdown() }
}
