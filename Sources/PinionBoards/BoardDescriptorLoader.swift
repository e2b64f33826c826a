import Foundation
import PinionI2C
import PinionUSB
import TOMLKit

/// Parses and validates one `boards/<id>.toml`. Every error names the file and the key.
public enum BoardDescriptorLoader {
    /// The schema version this Pinion reads.
    public static let schema = 1

    public static func load(path: String) throws(CatalogueError) -> BoardDescriptor {
        try parse(try TOMLReader.text(of: path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(CatalogueError) -> BoardDescriptor {
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        guard !stem.isEmpty, stem.allSatisfy({ ($0.isLetter && $0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" }) else {
            throw CatalogueError(file: file, key: "", message: "file name must be the board id: lower-case letters, digits and '-' (e.g. coral-usb-accelerator.toml)")
        }
        let root = try TOMLReader.parse(text, file: file)
        let schema = try root.requiredInt("schema", in: 0...Int.max)
        guard schema == Self.schema else { throw root.error("schema", "this Pinion reads schema \(Self.schema), the file is schema \(schema)") }

        var runtime: USBIdentity?
        var bootloader: USBIdentity?
        guard let usb = try root.table("usb") else { throw root.error("usb", "missing (required): at least one of [usb.runtime] and [usb.bootloader]") }
        if let table = try usb.table("runtime") { runtime = try identity(table) }
        if let table = try usb.table("bootloader") { bootloader = try identity(table) }
        try usb.finish()
        guard runtime != nil || bootloader != nil else { throw usb.error("runtime", "missing: at least one of [usb.runtime] and [usb.bootloader]") }

        var flash = try flashSettings(try root.table("flash"), hasBootloader: bootloader != nil, root: root)
        // A relative boot_firmware is the site's file next to the catalogue file that names it.
        if let bootFirmware = flash.bootFirmware, !bootFirmware.hasPrefix("/") {
            flash.bootFirmware = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(bootFirmware).path
        }
        let execution = try runtimeSettings(try root.table("runtime"), root: root)
        let capabilities = try capabilities(try root.table("capabilities"), root: root)
        var sensors: [OnBoardSensor] = []
        for reader in try root.tables("sensors") { sensors.append(try sensor(reader)) }
        let thermal = try thermalLimits(try root.table("thermal"))
        var power: PowerBudget?
        if let reader = try root.table("power") {
            power = PowerBudget(budgetWatts: try required(reader.double("budget_w"), reader, "budget_w"))
            try reader.finish()
        }
        let emulation = try emulationSettings(try root.table("emulation"))
        let descriptor = BoardDescriptor(
            id: stem, name: try root.requiredString("name"), vendor: try root.requiredString("vendor"),
            summary: try root.string("description"), runtime: runtime, bootloader: bootloader, flash: flash,
            execution: execution, capabilities: capabilities, sensors: sensors, thermal: thermal, power: power,
            emulation: emulation, source: file)
        try root.finish()
        return descriptor
    }

    private static func required<T>(_ value: T?, _ reader: TOMLReader, _ key: String) throws(CatalogueError) -> T {
        guard let value else { throw reader.error(key, "missing (required)") }
        return value
    }

    private static func identity(_ reader: TOMLReader) throws(CatalogueError) -> USBIdentity {
        let text = try reader.requiredString("id")
        guard let id = USBID(text) else { throw reader.error("id", "expected \"vvvv:pppp\" (4 hex digits each), got \"\(text)\"") }
        var interfaces: [InterfaceSpec] = []
        for interface in try reader.tables("interfaces") {
            var endpoints: [EndpointSpec] = []
            for endpoint in try interface.tables("endpoints") {
                let address = try endpoint.requiredInt("address", in: 0...0xFF)
                guard address & 0x70 == 0, address & 0x0F != 0 else {
                    throw endpoint.error("address", "0x\(String(address, radix: 16)) is not a data endpoint address (0x01-0x0f OUT, 0x81-0x8f IN)")
                }
                let typeName = try endpoint.requiredString("type")
                guard let type = USBTransferType(rawValue: typeName), type != .control else {
                    throw endpoint.error("type", "expected \"bulk\", \"interrupt\" or \"isochronous\", got \"\(typeName)\"")
                }
                endpoints.append(EndpointSpec(address: UInt8(address), type: type,
                                              maxPacket: UInt16(try endpoint.requiredInt("max_packet", in: 1...1024))))
                try endpoint.finish()
            }
            interfaces.append(InterfaceSpec(
                number: UInt8(try interface.requiredInt("number", in: 0...255)),
                alternate: UInt8(try interface.int("alternate", in: 0...255) ?? 0),
                interfaceClass: UInt8(try interface.requiredInt("class", in: 0...255)),
                subclass: UInt8(try interface.int("subclass", in: 0...255) ?? 0),
                interfaceProtocol: UInt8(try interface.int("protocol", in: 0...255) ?? 0),
                name: try interface.string("name"), endpoints: endpoints))
            try interface.finish()
        }
        let identity = USBIdentity(id: id, product: try reader.string("product"), interfaces: interfaces)
        try reader.finish()
        return identity
    }

    private static func flashSettings(_ reader: TOMLReader?, hasBootloader: Bool, root: TOMLReader) throws(CatalogueError) -> FlashSettings {
        guard let reader else { throw root.error("flash", "missing (required): [flash] with method = \"dfu\", \"dfuse\" or \"none\"") }
        let methodName = try reader.requiredString("method")
        guard let method = FlashSettings.Method(rawValue: methodName) else {
            throw reader.error("method", "expected \"dfu\", \"dfuse\" or \"none\", got \"\(methodName)\"")
        }
        if method != .none && !hasBootloader {
            throw reader.error("method", "\"\(methodName)\" needs [usb.bootloader] (the ids the board has in DFU mode)")
        }
        let settings = FlashSettings(
            method: method,
            transferSize: try reader.int("transfer_size", in: 1...65535),
            pollTimeoutCapMilliseconds: try reader.int("poll_timeout_cap_ms", in: 0...60_000) ?? 1000,
            controlTimeoutMilliseconds: try reader.int("control_timeout_ms", in: 1...120_000) ?? 5000,
            reenumerationTimeoutSeconds: try reader.double("reenumeration_timeout_s") ?? 25,
            manifestationTolerant: try reader.bool("manifestation_tolerant"),
            willDetach: try reader.bool("will_detach"),
            canUpload: try reader.bool("can_upload"),
            detachTimeoutMilliseconds: try reader.int("detach_timeout_ms", in: 0...65535) ?? 1000,
            bootOnAttach: try reader.bool("boot_on_attach") ?? false,
            bootFirmware: try reader.string("boot_firmware"),
            flashSizeBytes: try reader.int("flash_size_kib", in: 1...(4 * 1024 * 1024)).map { $0 * 1024 })
        if settings.bootOnAttach && method == .none {
            throw reader.error("boot_on_attach", "needs a flash method to boot with")
        }
        try reader.finish()
        return settings
    }

    private static func runtimeSettings(_ reader: TOMLReader?, root: TOMLReader) throws(CatalogueError) -> RuntimeSettings {
        guard let reader else { throw root.error("runtime", "missing (required): [runtime] with kind = \"pinion\", \"exec\" or \"none\"") }
        let kindName = try reader.requiredString("kind")
        guard let kind = RuntimeSettings.Kind(rawValue: kindName) else {
            throw reader.error("kind", "expected \"pinion\", \"exec\" or \"none\", got \"\(kindName)\"")
        }
        let command = try reader.stringArray("command") ?? []
        if kind == .exec && command.isEmpty { throw reader.error("command", "missing: kind \"exec\" needs the command to run, as an array") }
        if kind != .exec && !command.isEmpty { throw reader.error("command", "only kind \"exec\" runs a command") }
        let settings = RuntimeSettings(kind: kind, command: command, environment: try reader.stringTable("env") ?? [:],
                                       timeoutSeconds: try reader.double("timeout_s") ?? 30)
        try reader.finish()
        return settings
    }

    private static func capabilities(_ reader: TOMLReader?, root: TOMLReader) throws(CatalogueError) -> Capabilities {
        guard let reader else { return Capabilities(modelFormats: [], memoryMiB: 0, peakTOPS: 0) }
        let capabilities = Capabilities(modelFormats: try reader.stringArray("model_formats") ?? [],
                                        memoryMiB: try reader.int("memory_mib", in: 0...(1 << 30)) ?? 0,
                                        peakTOPS: try reader.double("peak_tops") ?? 0)
        try reader.finish()
        return capabilities
    }

    private static func sensor(_ reader: TOMLReader) throws(CatalogueError) -> OnBoardSensor {
        let sensor = try OnBoardSensor(reading: reader, buses: .boardOrGateway)
        try reader.finish()
        return sensor
    }

    private static func thermalLimits(_ reader: TOMLReader?) throws(CatalogueError) -> ThermalLimits? {
        guard let reader else { return nil }
        let warn = try required(reader.double("warn_c", positive: false), reader, "warn_c")
        let max = try required(reader.double("max_c", positive: false), reader, "max_c")
        guard warn < max else { throw reader.error("warn_c", "\(warn) must be below max_c \(max)") }
        try reader.finish()
        return ThermalLimits(warnCelsius: warn, maxCelsius: max)
    }

    private static func emulationSettings(_ reader: TOMLReader?) throws(CatalogueError) -> EmulationSettings? {
        guard let reader else { return nil }
        let version = try reader.string("firmware_version") ?? "1.0"
        let parts = version.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), (0...99).contains(major), (0...99).contains(minor) else {
            throw reader.error("firmware_version", "expected \"major.minor\" (0-99 each), got \"\(version)\"")
        }
        let idle = try required(reader.double("idle_w"), reader, "idle_w")
        let active = try required(reader.double("active_w"), reader, "active_w")
        guard idle <= active else { throw reader.error("idle_w", "\(idle) W idle is more than \(active) W active") }
        let settings = EmulationSettings(firmwareVersion: version, idleWatts: idle, activeWatts: active,
                                         macsPerSecond: try required(reader.double("macs_per_second"), reader, "macs_per_second"),
                                         serialPrefix: try reader.string("serial_prefix") ?? "EMU-")
        try reader.finish()
        return settings
    }
}
