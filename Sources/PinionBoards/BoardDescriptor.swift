import PinionI2C
import PinionSensors
import PinionUSB

/// One board model, as `boards/<id>.toml` describes it: USB identity in each mode, how to flash
/// it, how to run work on it, what it can do, its on-board sensors and its limits. Per-model
/// quirks live here as data. See docs/boards.md for the file format.
public struct BoardDescriptor: Sendable, Hashable, Codable {
    /// The file's stem: `coral-usb-accelerator`.
    public var id: String
    public var name: String
    public var vendor: String
    public var summary: String?
    /// Identity when running its application firmware.
    public var runtime: USBIdentity?
    /// Identity in its DFU bootloader.
    public var bootloader: USBIdentity?
    public var flash: FlashSettings
    public var execution: RuntimeSettings
    public var capabilities: Capabilities
    public var sensors: [OnBoardSensor]
    public var thermal: ThermalLimits?
    public var power: PowerBudget?
    /// Only for Pinion's emulated boards.
    public var emulation: EmulationSettings?
    /// Where it was loaded from.
    public var source: String

    /// The identity for a mode, if the board has that mode.
    public func identity(_ mode: BoardMode) -> USBIdentity? {
        mode == .runtime ? runtime : bootloader
    }

    /// Every (mode, identity) the board has, run-time first.
    public var identities: [(mode: BoardMode, identity: USBIdentity)] {
        [(BoardMode.runtime, runtime), (.bootloader, bootloader)].compactMap { mode, identity in identity.map { (mode, $0) } }
    }
}

/// Which firmware a board is running, as told by the ids it enumerates with.
public enum BoardMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Application firmware: the board does work.
    case runtime
    /// DFU bootloader: the board waits to be flashed or booted.
    case bootloader
}

/// How a board shows itself on USB in one mode.
public struct USBIdentity: Sendable, Hashable, Codable {
    public var id: USBID
    /// When set, the product string must equal this too (for ids shared by several models).
    public var product: String?
    public var interfaces: [InterfaceSpec]
}

/// One interface (alternate setting) a board presents.
public struct InterfaceSpec: Sendable, Hashable, Codable {
    public var number: UInt8
    public var alternate: UInt8
    public var interfaceClass: UInt8
    public var subclass: UInt8
    public var interfaceProtocol: UInt8
    /// Alternate-setting name (DfuSe memory layout strings such as `@Internal Flash /0x08000000/64*002Kg`).
    public var name: String?
    public var endpoints: [EndpointSpec]
}

/// One endpoint of an interface.
public struct EndpointSpec: Sendable, Hashable, Codable {
    public var address: UInt8
    public var type: USBTransferType
    public var maxPacket: UInt16
}

/// How firmware gets onto the board, with the quirks that make real devices work.
public struct FlashSettings: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        /// USB DFU 1.1.
        case dfu
        /// ST's DfuSe extension (STM32 system bootloader).
        case dfuse
        /// Not flashable by Pinion.
        case none
    }

    public var method: Method
    /// Overrides wTransferSize from the functional descriptor (some STM32 parts accept only 1024).
    public var transferSize: Int?
    /// bwPollTimeout values above this are treated as this (some devices report absurd ones).
    public var pollTimeoutCapMilliseconds: Int
    /// Timeout for each control request (STM32 needs 5 s; mass erase longer).
    public var controlTimeoutMilliseconds: Int
    /// How long to wait for the board to re-enumerate after detach or manifestation.
    public var reenumerationTimeoutSeconds: Double
    /// Overrides bitManifestationTolerant when the descriptor is wrong.
    public var manifestationTolerant: Bool?
    /// Overrides bitWillDetach.
    public var willDetach: Bool?
    /// Overrides bitCanUpload.
    public var canUpload: Bool?
    /// wDetachTimeOut to use or present, in milliseconds.
    public var detachTimeoutMilliseconds: Int
    /// RAM-only firmware: boot it automatically whenever the board appears in its bootloader (Coral).
    public var bootOnAttach: Bool
    /// The firmware file a `bootOnAttach` board is booted with (`boot_firmware`: the vendor's image,
    /// which the site supplies), as an absolute path: a relative one in the file is resolved against
    /// the directory of the catalogue file that names it. Nil when not set.
    public var bootFirmware: String?
    /// The most firmware the board's memory holds, in bytes (`flash_size_kib`); nil when not
    /// given (DfuSe boards present it in their memory layouts). Firmware files larger than the
    /// largest in the catalogue are refused before they are read.
    public var flashSizeBytes: Int? = nil
}

/// How inference work reaches the board.
public struct RuntimeSettings: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Pinion's board protocol on the vendor bulk interface.
        case pinion
        /// A vendor runtime run as a command per task.
        case exec
        /// The board runs no work (a bootloader-only part).
        case none
    }

    public var kind: Kind
    /// For `exec`: argv with placeholders `{model}`, `{input}`, `{output}`, `{usb_path}`, `{serial}`.
    public var command: [String]
    /// For `exec`: extra environment.
    public var environment: [String: String]
    /// For `exec`: how long one task may take.
    public var timeoutSeconds: Double
}

/// What work the board can take.
public struct Capabilities: Sendable, Hashable, Codable {
    /// Model formats the board runs (`pinion-int8`, `tflite-edgetpu`).
    public var modelFormats: [String]
    /// Memory for models, MiB.
    public var memoryMiB: Int
    /// Peak int8 throughput, tera-operations per second.
    public var peakTOPS: Double
}

/// A sensor on the board.
public struct OnBoardSensor: Sendable, Hashable, Codable {
    public var type: SensorType
    /// `board` for the board's own bus (reached through the board), or `i2c-N` on the gateway.
    public var bus: String
    public var address: I2CAddress
    public var shuntOhms: Double?
    public var maxCurrentAmperes: Double?
    /// INA3221 channel 1–3.
    public var channel: Int?
    public var label: String?

    public init(type: SensorType, bus: String, address: I2CAddress, shuntOhms: Double? = nil, maxCurrentAmperes: Double? = nil,
                channel: Int? = nil, label: String? = nil) {
        self.type = type
        self.bus = bus
        self.address = address
        self.shuntOhms = shuntOhms
        self.maxCurrentAmperes = maxCurrentAmperes
        self.channel = channel
        self.label = label
    }
}

/// Temperatures at which Pinion stops giving the board work (warn) and considers it faulty (max).
public struct ThermalLimits: Sendable, Hashable, Codable {
    public var warnCelsius: Double
    public var maxCelsius: Double
}

/// The most power the board may draw.
public struct PowerBudget: Sendable, Hashable, Codable {
    public var budgetWatts: Double
}

/// How Pinion's emulator plays this board.
public struct EmulationSettings: Sendable, Hashable, Codable {
    /// Firmware version in run-time mode, `major.minor` → bcdDevice.
    public var firmwareVersion: String
    public var idleWatts: Double
    public var activeWatts: Double
    /// Multiply-accumulates per second of the emulated NPU.
    public var macsPerSecond: Double
    /// Serial numbers of emulated boards start with this.
    public var serialPrefix: String
}
