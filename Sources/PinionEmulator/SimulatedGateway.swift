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
    /// The power models the rail monitors measure, by board serial: EMU-S-0001's 5 V rail by the
    /// INA226 at 0x41 (0.01 Ω), EMU-L-0001's 12 V rail by the INA228 at 0x44 (0.015 Ω).
    public let powerModels: [String: EmulatedPowerModel]

    /// An id the catalogue does not know (a wireless keyboard receiver), as gateways often have.
    public static let unknownDevice = USBID(vendor: 0x046D, product: 0xC52B)

    /// Builds the standard simulated gateway. Boards the catalogue lacks are left out.
    /// - Parameter clock: seconds on the clock the boards' power models (and the rail monitors
    ///   measuring them) run on; a sampler given the same clock stamps its samples in the models'
    ///   time, so the truth over exactly the sampled window can be asked for.
    public init(catalogue: BoardCatalogue, taps: [any USBTap] = [], clock: @escaping @Sendable () -> Double = EmulatedBoard.processClock) {
        let usb = EmulatedUSBHost(taps: taps)
        var boards: [EmulatedBoard] = []
        let plan: [(String, EmulatedBoardMode, [UInt8], String)] = [
            ("pinion-emu-npu-s", .runtime, [1], "EMU-S-0001"),
            ("pinion-emu-npu-s", .runtime, [2], "EMU-S-0002"),
            ("pinion-emu-npu-l", .runtime, [3, 1], "EMU-L-0001"),
            ("pinion-emu-npu-l", .bootloader, [3, 2], "EMU-L-0002"),
            ("pinion-emu-npu-l", .runtime, [3, 3], "EMU-L-0003"),
            ("coral-usb-accelerator", .bootloader, [4], "CORAL-0001"),
            // An STM32 held in its ROM bootloader (BOOT0 high); its serial is derived from the chip's unique id.
            ("stm32-dfu-bootloader", .bootloader, [6], "3574364C3034"),
        ]
        for (id, mode, ports, serial) in plan {
            guard let board = catalogue.board(id: id) else { continue }
            boards.append(EmulatedBoard(model: EmulatedBoardModel(board: board), serial: serial, host: usb, ports: ports, mode: mode,
                                        volts: id == "pinion-emu-npu-s" ? 5 : 12, clock: clock))
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
        // The rail monitors measure two boards' power models, which follow the work their NPUs do.
        let small = boards.first { $0.serial == "EMU-S-0001" }
        let large = boards.first { $0.serial == "EMU-L-0001" }
        if let small { chips.ina226.connect(to: EmulatedRail(model: small.powerModel, shuntOhms: 0.01, now: small.clock)) }
        if let large { chips.ina228.connect(to: EmulatedRail(model: large.powerModel, shuntOhms: 0.015, now: large.clock)) }
        powerModels = Dictionary(uniqueKeysWithValues: [small, large].compactMap { $0 }.map { ($0.serial, $0.powerModel) })
        self.usb = usb
        self.boards = boards
        self.chips = chips
        self.i2c = EmulatedI2CBusSet(buses: [1: (name: "Pinion emulated SMBus", bus: chips.bus)])
    }

    /// Ends hotplug streams, as the real host does on shutdown.
    public func shutdown() { usb.shutdown() }
}
