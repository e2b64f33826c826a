import PinionUSB

/// What the emulator needs to present one board model on USB, in each of its modes.
/// Built from a board descriptor (`EmulatedBoardModel(board:)`) or by hand in tests.
public struct EmulatedBoardModel: Sendable, Hashable {
    /// The catalogue id, e.g. `pinion-emu-npu-s`.
    public var boardID: String
    public var manufacturer: String
    public var product: String
    /// Present in run-time mode: ids and interfaces (vendor bulk interface, DFU run-time interface).
    public var runtime: Mode?
    /// Present in bootloader (DFU) mode.
    public var bootloader: Mode?
    /// Firmware version reported as bcdDevice in run-time mode.
    public var firmwareVersion: UInt16
    /// Present when the run-time firmware speaks Pinion's board protocol on the vendor interface.
    public var npu: EmulatedNPUSpec?
    /// Idle and fully busy power draw, watts (the board's power model).
    public var idleWatts: Double = 1
    public var activeWatts: Double = 4

    /// One mode's USB identity.
    public struct Mode: Sendable, Hashable {
        public var id: USBID
        public var interfaces: [USBInterfaceSetting]
        public var speed: USBSpeed
        /// String descriptors the interfaces name by `descriptionIndex` (DfuSe memory layouts);
        /// indexes 1-3 are the manufacturer, product and serial.
        public var strings: [UInt8: String]

        public init(id: USBID, interfaces: [USBInterfaceSetting], speed: USBSpeed = .high, strings: [UInt8: String] = [:]) {
            self.id = id
            self.interfaces = interfaces
            self.speed = speed
            self.strings = strings
        }

        /// The name string of each DFU-mode alternate setting, by alternate setting.
        public var dfuAlternateNames: [UInt8: String] {
            var names: [UInt8: String] = [:]
            for setting in interfaces where setting.isDFU && setting.interfaceProtocol == 2 {
                if let name = strings[setting.descriptionIndex], setting.descriptionIndex != 0 { names[setting.alternateSetting] = name }
            }
            return names
        }

        /// True when a DFU-mode interface says bcdDFU 0x011A: ST's DfuSe.
        public var isDfuSe: Bool {
            interfaces.contains { $0.isDFU && $0.interfaceProtocol == 2 && $0.dfuFunctional?.dfuVersion == 0x011A }
        }
    }

    public init(boardID: String, manufacturer: String, product: String, runtime: Mode?, bootloader: Mode?, firmwareVersion: UInt16 = 0x0100,
                npu: EmulatedNPUSpec? = nil) {
        self.npu = npu
        self.boardID = boardID
        self.manufacturer = manufacturer
        self.product = product
        self.runtime = runtime
        self.bootloader = bootloader
        self.firmwareVersion = firmwareVersion
    }
}

/// Which identity an emulated board currently shows.
public enum EmulatedBoardMode: String, Sendable, Codable {
    case runtime, bootloader
}
