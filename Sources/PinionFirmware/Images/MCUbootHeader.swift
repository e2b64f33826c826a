/// The 32-byte little-endian header at the start of an MCUboot image (mcuboot `struct image_header`).
///
/// magic 0x96f3b83d, load_addr, hdr_size (u16), protect_tlv_size (u16), img_size, flags, version
/// (u8 major, u8 minor, u16 revision, u32 build), pad. The payload starts at `headerSize` (the
/// bytes between 32 and `headerSize` are padding) and is `imageSize` bytes long.
public struct MCUbootHeader: Sendable, Hashable {
    public static let magic: UInt32 = 0x96F3_B83D
    public static let length = 32

    public var loadAddress: UInt32
    public var headerSize: UInt16
    /// Size of the protected TLV area including its 4-byte info header; 0 when there is none.
    public var protectedTLVSize: UInt16
    public var imageSize: UInt32
    public var flags: MCUbootFlags
    public var version: ImageVersion

    public init(loadAddress: UInt32 = 0, headerSize: UInt16, protectedTLVSize: UInt16, imageSize: UInt32,
                flags: MCUbootFlags = [], version: ImageVersion) {
        self.loadAddress = loadAddress
        self.headerSize = headerSize
        self.protectedTLVSize = protectedTLVSize
        self.imageSize = imageSize
        self.flags = flags
        self.version = version
    }

    /// True when the file starts with the magic in little-endian order.
    public static func hasMagic(_ file: [UInt8]) -> Bool {
        file.count >= 4 && file[0] == 0x3D && file[1] == 0xB8 && file[2] == 0xF3 && file[3] == 0x96
    }

    /// True when the file starts with the magic in big-endian order (`imgtool sign --endian big`).
    static func hasBigEndianMagic(_ file: [UInt8]) -> Bool {
        file.count >= 4 && file[0] == 0x96 && file[1] == 0xF3 && file[2] == 0xB8 && file[3] == 0x3D
    }

    static func parse(_ reader: ByteReader) throws(FirmwareImageError) -> MCUbootHeader {
        let section = "MCUboot header"
        if hasBigEndianMagic(reader.bytes) {
            throw reader.error(.unsupported, section, at: 0, "big-endian MCUboot images are not supported; sign with imgtool's default --endian little")
        }
        let magic = try reader.u32(0, "ih_magic", in: section)
        guard magic == MCUbootHeader.magic else {
            throw reader.error(.malformed, section, at: 0, "magic is \(Hex.u32(magic)), an MCUboot image starts with \(Hex.u32(MCUbootHeader.magic))")
        }
        let header = MCUbootHeader(
            loadAddress: try reader.u32(4, "ih_load_addr", in: section),
            headerSize: try reader.u16(8, "ih_hdr_size", in: section),
            protectedTLVSize: try reader.u16(10, "ih_protect_tlv_size", in: section),
            imageSize: try reader.u32(12, "ih_img_size", in: section),
            flags: MCUbootFlags(rawValue: try reader.u32(16, "ih_flags", in: section)),
            version: ImageVersion(major: try reader.u8(20, "iv_major", in: section),
                                  minor: try reader.u8(21, "iv_minor", in: section),
                                  revision: try reader.u16(22, "iv_revision", in: section),
                                  build: try reader.u32(24, "iv_build_num", in: section)))
        _ = try reader.u32(28, "_pad1", in: section)
        guard Int(header.headerSize) >= length else {
            throw reader.error(.malformed, section, at: 8, "ih_hdr_size is \(header.headerSize), smaller than the \(length)-byte header itself")
        }
        return header
    }

    /// The 32 header bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(MCUbootHeader.length)
        out.appendLE(MCUbootHeader.magic)
        out.appendLE(loadAddress)
        out.appendLE(headerSize)
        out.appendLE(protectedTLVSize)
        out.appendLE(imageSize)
        out.appendLE(flags.rawValue)
        out.append(version.major)
        out.append(version.minor)
        out.appendLE(version.revision)
        out.appendLE(version.build)
        out.appendLE(UInt32(0))
        return out
    }
}

/// ih_flags of an MCUboot header (imgtool `IMAGE_F`).
public struct MCUbootFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let positionIndependent = MCUbootFlags(rawValue: 0x0000_0001)
    public static let encryptedAES128 = MCUbootFlags(rawValue: 0x0000_0004)
    public static let encryptedAES256 = MCUbootFlags(rawValue: 0x0000_0008)
    public static let nonBootable = MCUbootFlags(rawValue: 0x0000_0010)
    public static let ramLoad = MCUbootFlags(rawValue: 0x0000_0020)
    public static let romFixed = MCUbootFlags(rawValue: 0x0000_0100)
    public static let compressedLZMA1 = MCUbootFlags(rawValue: 0x0000_0200)
    public static let compressedLZMA2 = MCUbootFlags(rawValue: 0x0000_0400)
    public static let compressedARMThumb = MCUbootFlags(rawValue: 0x0000_0800)

    static let names: [(MCUbootFlags, String)] = [
        (.positionIndependent, "PIC"), (.encryptedAES128, "ENCRYPTED_AES128"), (.encryptedAES256, "ENCRYPTED_AES256"),
        (.nonBootable, "NON_BOOTABLE"), (.ramLoad, "RAM_LOAD"), (.romFixed, "ROM_FIXED"),
        (.compressedLZMA1, "COMPRESSED_LZMA1"), (.compressedLZMA2, "COMPRESSED_LZMA2"),
        (.compressedARMThumb, "COMPRESSED_ARM_THUMB"),
    ]

    /// imgtool's names of the set flags, plus `0x…` for bits it does not name.
    public var names: [String] {
        var out: [String] = []
        var rest = rawValue
        for (flag, name) in MCUbootFlags.names where contains(flag) {
            out.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { out.append(Hex.u32(rest)) }
        return out
    }

    /// True when the payload is encrypted, so its hash cannot be checked without the key.
    public var isEncrypted: Bool { !isDisjoint(with: [.encryptedAES128, .encryptedAES256]) }
}
