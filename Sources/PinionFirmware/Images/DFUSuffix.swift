/// The DFU file suffix (DFU 1.1 appendix B): the last 16 bytes of a DFU file, naming the USB device
/// the file is for and carrying a CRC over the rest of the file. It is stripped before download.
///
/// Layout, all little-endian: bcdDevice, idProduct, idVendor, bcdDFU (u16 each), the signature
/// bytes `U` `F` `D` (the spec's "DFU" stored reversed), bLength (16), dwCRC: CRC-32 over every
/// byte of the file before dwCRC, without the final inversion (`zlib.crc32(data) ^ 0xFFFFFFFF`).
/// 0xFFFF in an id field means "any". A bLength above 16 means extra vendor bytes sit before the
/// standard 16; they belong to the suffix and are stripped too.
public struct DFUSuffix: Sendable, Hashable, Codable {
    /// Size of the standard suffix.
    public static let standardLength = 16
    /// The "any device" value of the id fields.
    public static let any: UInt16 = 0xFFFF
    /// bcdDFU of plain DFU files (dfu-suffix writes this for DFU 1.0 and 1.1 alike).
    public static let dfuVersion: UInt16 = 0x0100
    /// bcdDFU of DfuSe files (ST UM0391).
    public static let dfuseVersion: UInt16 = 0x011A

    public var bcdDevice: UInt16
    public var idProduct: UInt16
    public var idVendor: UInt16
    public var bcdDFU: UInt16
    /// bLength: the number of bytes the suffix occupies at the end of the file.
    public var length: UInt8
    /// dwCRC as stored in the file (when parsed) or as computed (when appended).
    public var crc: UInt32

    public init(vendor: UInt16 = DFUSuffix.any, product: UInt16 = DFUSuffix.any, device: UInt16 = DFUSuffix.any,
                bcdDFU: UInt16 = DFUSuffix.dfuVersion) {
        bcdDevice = device
        idProduct = product
        idVendor = vendor
        self.bcdDFU = bcdDFU
        length = UInt8(DFUSuffix.standardLength)
        crc = 0
    }

    /// The device constraint the suffix expresses.
    public var target: FirmwareTarget { FirmwareTarget(suffix: self) }

    /// True when the last bytes carry the `UFD` signature, so the file claims to have a suffix.
    public static func isPresent(in file: [UInt8]) -> Bool {
        file.count >= standardLength && file[file.count - 8] == 0x55 && file[file.count - 7] == 0x46 && file[file.count - 6] == 0x44
    }

    /// Reads and checks the suffix at the end of `file`: nil when there is none (no `UFD` signature,
    /// as dfu-util decides). Throws on a bad bLength, an unknown bcdDFU or a CRC mismatch.
    public static func parse(_ file: [UInt8], name: String) throws(FirmwareImageError) -> DFUSuffix? {
        guard isPresent(in: file) else { return nil }
        let reader = ByteReader(bytes: file, file: name)
        let start = file.count - standardLength
        let section = "DFU suffix"
        var suffix = DFUSuffix()
        suffix.bcdDevice = try reader.u16(start, "bcdDevice", in: section)
        suffix.idProduct = try reader.u16(start + 2, "idProduct", in: section)
        suffix.idVendor = try reader.u16(start + 4, "idVendor", in: section)
        suffix.bcdDFU = try reader.u16(start + 6, "bcdDFU", in: section)
        suffix.length = try reader.u8(start + 11, "bLength", in: section)
        suffix.crc = try reader.u32(start + 12, "dwCRC", in: section)
        guard Int(suffix.length) >= standardLength else {
            throw reader.error(.malformed, section, at: start + 11,
                               "bLength is \(suffix.length), a DFU suffix is at least \(standardLength) bytes")
        }
        guard Int(suffix.length) <= file.count else {
            throw reader.error(.truncated, section, at: start + 11,
                               "bLength is \(suffix.length) but the whole file is \(file.count) bytes")
        }
        guard suffix.bcdDFU == dfuVersion || suffix.bcdDFU == dfuseVersion else {
            throw reader.error(.unsupported, section, at: start + 6,
                               "bcdDFU \(Hex.u16(suffix.bcdDFU)) is neither \(Hex.u16(dfuVersion)) (DFU) nor \(Hex.u16(dfuseVersion)) (DfuSe)")
        }
        let computed = CRC32.dfuSuffixCRC(file[..<(file.count - 4)])
        guard computed == suffix.crc else {
            throw reader.error(.checksumMismatch, section, at: start + 12,
                               "CRC mismatch: the suffix says \(Hex.u32(suffix.crc)), the contents give \(Hex.u32(computed)); the file is damaged or was edited after the suffix was added")
        }
        return suffix
    }

    /// Splits `file` into the bytes to download and its checked suffix (nil when it has none).
    public static func split(_ file: [UInt8], name: String) throws(FirmwareImageError) -> (payload: [UInt8], suffix: DFUSuffix?) {
        guard let suffix = try parse(file, name: name) else { return (file, nil) }
        return (Array(file.dropLast(Int(suffix.length))), suffix)
    }

    /// `payload` followed by this suffix (16 bytes, bLength 16) with the CRC computed, as `dfu-suffix -a` writes it.
    public func appended(to payload: [UInt8]) -> [UInt8] {
        var out = payload
        out.reserveCapacity(payload.count + DFUSuffix.standardLength)
        out.appendLE(bcdDevice)
        out.appendLE(idProduct)
        out.appendLE(idVendor)
        out.appendLE(bcdDFU)
        out += [0x55, 0x46, 0x44, UInt8(DFUSuffix.standardLength)]
        out.appendLE(CRC32.dfuSuffixCRC(out))
        return out
    }
}
