import PinionBoards
import PinionUSB

extension EmulatedBoardModel {
    /// The USB presentation of a catalogued board: its ids and interfaces in each mode, with a DFU
    /// functional descriptor on DFU interfaces built from the descriptor's `[flash]` settings.
    public init(board: BoardDescriptor) {
        let functional = DFUFunctionalDescriptor(
            canDownload: true,
            canUpload: board.flash.canUpload ?? false,
            manifestationTolerant: board.flash.manifestationTolerant ?? true,
            willDetach: board.flash.willDetach ?? false,
            detachTimeoutMilliseconds: UInt16(clamping: board.flash.detachTimeoutMilliseconds),
            // STM32 system bootloaders report 2048.
            transferSize: UInt16(clamping: board.flash.transferSize ?? (board.flash.method == .dfuse ? 2048 : 4096)),
            dfuVersion: board.flash.method == .dfuse ? 0x011A : 0x0110)

        // Interface names (`name`, the DfuSe memory layouts) become string descriptors 4, 5, ...
        func mode(_ identity: USBIdentity?) -> Mode? {
            identity.map { identity in
                var strings: [UInt8: String] = [:]
                let interfaces = identity.interfaces.map { spec in
                    let isDFU = spec.interfaceClass == 0xFE && spec.subclass == 0x01
                    var index: UInt8 = 0
                    if let name = spec.name, strings.count < 250 {
                        index = UInt8(4 + strings.count)
                        strings[index] = name
                    }
                    return USBInterfaceSetting(
                        interfaceNumber: spec.number, alternateSetting: spec.alternate, interfaceClass: spec.interfaceClass,
                        interfaceSubclass: spec.subclass, interfaceProtocol: spec.interfaceProtocol, descriptionIndex: index,
                        endpoints: spec.endpoints.map { USBEndpoint(address: $0.address, type: $0.type, maxPacketSize: $0.maxPacket) },
                        extra: isDFU ? [functional.rawDescriptor] : [])
                }
                return Mode(id: identity.id, interfaces: interfaces, strings: strings)
            }
        }

        let version = board.emulation?.firmwareVersion.split(separator: ".").compactMap { UInt16($0) } ?? [1, 0]
        let bcd = version.count == 2 ? (version[0] / 10) << 12 | (version[0] % 10) << 8 | (version[1] / 10) << 4 | version[1] % 10 : 0x0100
        let npu = board.execution.kind == .pinion
            ? EmulatedNPUSpec(modelFormats: board.capabilities.modelFormats, memoryBytes: UInt64(board.capabilities.memoryMiB) << 20,
                              macsPerSecond: board.emulation?.macsPerSecond ?? 1e11)
            : nil
        self.init(boardID: board.id, manufacturer: board.vendor, product: board.runtime?.product ?? board.name,
                  runtime: mode(board.runtime), bootloader: mode(board.bootloader), firmwareVersion: bcd, npu: npu)
        if let emulation = board.emulation {
            idleWatts = emulation.idleWatts
            activeWatts = emulation.activeWatts
        }
    }
}
