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
            transferSize: UInt16(clamping: board.flash.transferSize ?? 4096),
            dfuVersion: board.flash.method == .dfuse ? 0x011A : 0x0110)

        func mode(_ identity: USBIdentity?) -> Mode? {
            identity.map { identity in
                Mode(id: identity.id, interfaces: identity.interfaces.map { spec in
                    let isDFU = spec.interfaceClass == 0xFE && spec.subclass == 0x01
                    return USBInterfaceSetting(
                        interfaceNumber: spec.number, alternateSetting: spec.alternate, interfaceClass: spec.interfaceClass,
                        interfaceSubclass: spec.subclass, interfaceProtocol: spec.interfaceProtocol,
                        endpoints: spec.endpoints.map { USBEndpoint(address: $0.address, type: $0.type, maxPacketSize: $0.maxPacket) },
                        extra: isDFU ? [functional.rawDescriptor] : [])
                })
            }
        }

        let version = board.emulation?.firmwareVersion.split(separator: ".").compactMap { UInt16($0) } ?? [1, 0]
        let bcd = version.count == 2 ? (version[0] / 10) << 12 | (version[0] % 10) << 8 | (version[1] / 10) << 4 | version[1] % 10 : 0x0100
        self.init(boardID: board.id, manufacturer: board.vendor, product: board.runtime?.product ?? board.name,
                  runtime: mode(board.runtime), bootloader: mode(board.bootloader), firmwareVersion: bcd)
    }
}
