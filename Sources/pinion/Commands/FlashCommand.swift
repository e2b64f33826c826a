import ArgumentParser
import Foundation
import PinionBoards
import PinionFirmware
import PinionUSB

/// `pinion flash BOARD... IMAGE`: flashes boards over DFU, several at once in parallel.
struct FlashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Flash firmware onto boards over USB DFU (detach, download, verify, reboot).",
        discussion: """
            BOARD is a serial number (as pinion list shows it) or a USB path such as 1-2. Several boards \
            flash in parallel. The image must be signed by a key in the trust store unless --allow-unsigned \
            is given, and may not be older than the board's firmware unless --allow-downgrade is given. \
            A board left in its bootloader by an interrupted flash is flashed the same way.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Boards (serial or USB path), then the image file.", valueName: "BOARD... IMAGE"))
    var arguments: [String] = []

    @Flag(help: "Flash every attached board the image is for.")
    var all = false

    @Flag(help: "Flash an image that carries no signature from the trust store.")
    var allowUnsigned = false

    @Flag(help: "Flash an image older than the board's firmware (version or security counter).")
    var allowDowngrade = false

    @Flag(help: "Skip the read-back check after the download.")
    var noVerify = false

    @Option(help: ArgumentHelp("Where a raw image goes on a DfuSe board (STM32), e.g. 0x08000000, as dfu-util -s.", valueName: "address"))
    var address: String?

    @Option(help: ArgumentHelp("Directory of trusted Ed25519 public keys (default: $PINION_TRUST_STORE, else [firmware] trust_store of the configuration, else /etc/pinion/trusted-keys).",
                               valueName: "dir"))
    var trustStore: String?

    func validate() throws {
        guard let image = arguments.last else { throw ValidationError("name the image file to flash") }
        if !all && arguments.count < 2 { throw ValidationError("name at least one board (serial or USB path) before \(image), or use --all") }
        if all && arguments.count > 1 { throw ValidationError("--all flashes every matching board: name only the image") }
        if let address, Self.parseAddress(address) == nil {
            throw ValidationError("--address '\(address)' is not a 32-bit address (0x08000000 or 134217728)")
        }
    }

    func run() async throws {
        let imagePath = arguments.last!
        let hardware = try Hardware(global)
        defer { hardware.shutdown() }
        let host = try hardware.requireUSB()
        // [firmware] trust_store of the configuration; one that cannot be read does not stop a flash.
        var configuredTrustStore: String?
        do {
            configuredTrustStore = try global.gatewayConfiguration().firmware.trustStore
        } catch {
            LogOutput.write("warning: \(error); its [firmware] trust_store is not used", level: .warning, toStandardError: true)
        }
        let firmware = try FlashImage.load(path: imagePath, catalogue: hardware.catalogue, trustStore: trustStore,
                                           configuredTrustStore: configuredTrustStore,
                                           policy: FirmwarePolicy(allowUnsigned: allowUnsigned, allowDowngrade: allowDowngrade))
        let devices = try BoardInventory(catalogue: hardware.catalogue).scan(host, includeUnknown: false)
        let targets = try selectTargets(devices, catalogue: hardware.catalogue)
        // Every board is checked before any is touched: one refusal stops the whole run.
        var overrides: Set<String> = []
        let segments = try segments(of: firmware.image)
        for target in targets {
            let board = hardware.catalogue.board(id: target.board!)!
            if board.flash.method == .dfuse && segments.contains(where: { $0.address == nil }) {
                throw CommandError("\(target.serial ?? target.path) is a DfuSe board: give a raw image its start address with --address (e.g. 0x08000000), or use a DfuSe file")
            }
            overrides.formUnion(try firmware.check(for: target, board: board))
        }
        if !output.json {
            FileHandle.standardError.write(Data("\(firmware.summary)\n".utf8))
            for line in overrides.sorted() { FileHandle.standardError.write(Data("warning: \(line)\n".utf8)) }
        }
        let flasher = DFUFlasher(host: host, catalogue: hardware.catalogue)
        let reporter = FlashProgressReporter(json: output.json, boards: targets.map { $0.serial ?? $0.path })
        let verify = !noVerify
        let outcomes = await withTaskGroup(of: (String, Result<DFUFlashResult, FlashError>).self) { group in
            for target in targets {
                let serial = target.serial!
                group.addTask {
                    do throws(FlashError) {
                        let result = try await flasher.flash(serial: serial, segments: segments, verify: verify) {
                            reporter.report(serial, $0)
                        }
                        return (serial, .success(result))
                    } catch {
                        return (serial, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [(String, Result<DFUFlashResult, FlashError>)]()) { $0.append($1) }
        }
        let failures = reporter.finish(outcomes.sorted { $0.0 < $1.0 })
        if failures > 0 { throw ExitCode(1) }
    }

    /// The image's segments; `--address` places a raw image (one unaddressed segment) for DfuSe boards.
    private func segments(of image: FirmwareImage) throws -> [FirmwareSegment] {
        guard let address, let value = Self.parseAddress(address) else { return image.segments }
        guard image.segments.count == 1, image.segments[0].address == nil else {
            throw CommandError("--address places a raw image; \(image.name) is a \(image.format) file that carries its own addresses")
        }
        return [FirmwareSegment(address: value, data: image.segments[0].data)]
    }

    static func parseAddress(_ text: String) -> UInt32? {
        text.lowercased().hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
    }

    static func flashesOverUSB(_ board: BoardDescriptor) -> Bool {
        board.flash.method == .dfu || board.flash.method == .dfuse
    }

    /// The boards named on the command line (or all the image fits), each with a serial to follow it by.
    private func selectTargets(_ devices: [AttachedDevice], catalogue: BoardCatalogue) throws -> [AttachedDevice] {
        let flashable = devices.filter { device in
            device.board.flatMap(catalogue.board(id:)).map(Self.flashesOverUSB) ?? false
        }
        if all {
            guard !flashable.isEmpty else { throw CommandError("no attached board flashes over DFU or DfuSe (see pinion list)") }
            let models = Set(flashable.compactMap(\.board))
            guard models.count == 1 else {
                throw CommandError("--all matches boards of several models (\(models.sorted().joined(separator: ", "))): name the boards")
            }
            return flashable
        }
        return try arguments.dropLast().map { selector in
            guard let device = devices.first(where: { $0.serial == selector || $0.path == selector }) else {
                throw CommandError("no catalogued board '\(selector)' is attached (serials and paths: pinion list)")
            }
            guard let board = device.board, catalogue.board(id: board).map(Self.flashesOverUSB) ?? false else {
                throw CommandError("\(selector) (\(device.board ?? device.id.description)) does not flash over DFU or DfuSe")
            }
            guard device.serial != nil else {
                throw CommandError("\(selector) reports no serial number, which Pinion needs to follow it through re-enumeration")
            }
            return device
        }
    }
}
