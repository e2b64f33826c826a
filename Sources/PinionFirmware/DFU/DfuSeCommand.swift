/// A DfuSe command: the payload of a DNLOAD with wBlockNum 0 (AN3156 §6), executed by the device
/// on the GETSTATUS that follows (which reports dfuDNBUSY; the next one reports the outcome).
/// The host's plan encodes these and the emulated bootloader decodes them, with the same code.
public enum DfuSeCommand: Sendable, Hashable, CustomStringConvertible {
    /// 0x21 + address (LE): where data blocks, UPLOAD blocks and "leave" start.
    case setAddress(UInt32)
    /// 0x41 + address (LE): erase the sector (page) holding the address.
    case erase(UInt32)
    /// 0x41 alone: erase the whole flash.
    case massErase
    /// 0x92: remove read protection (the part mass-erases and resets).
    case readUnprotect

    /// The codes GET_COMMANDS (UPLOAD block 0) lists: get, set address, erase, read unprotect.
    public static let supportedCodes: [UInt8] = [0x00, 0x21, 0x41, 0x92]

    /// The DNLOAD payload.
    public var bytes: [UInt8] {
        switch self {
        case .setAddress(let address): [0x21] + Self.littleEndian(address)
        case .erase(let address): [0x41] + Self.littleEndian(address)
        case .massErase: [0x41]
        case .readUnprotect: [0x92]
        }
    }

    /// Decodes a block-0 payload; nil for an unknown code or a wrong length.
    public init?(bytes: [UInt8]) {
        func address() -> UInt32 { UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24 }
        switch (bytes.first, bytes.count) {
        case (0x21, 5): self = .setAddress(address())
        case (0x41, 5): self = .erase(address())
        case (0x41, 1): self = .massErase
        case (0x92, 1): self = .readUnprotect
        default: return nil
        }
    }

    /// `set address pointer to 0x08000000`, for error messages.
    public var description: String {
        switch self {
        case .setAddress(let address): "set address pointer to \(Hex.u32(address))"
        case .erase(let address): "erase sector \(Hex.u32(address))"
        case .massErase: "mass erase"
        case .readUnprotect: "read unprotect"
        }
    }

    /// As a download step (block 0, not image data).
    public var step: DFUDownloadStep { DFUDownloadStep(block: 0, data: bytes, isData: false, summary: description) }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 24)]
    }
}
