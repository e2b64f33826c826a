import Crypto

/// Builds signed MCUboot images the way `imgtool sign --pad-header` does, so that
/// `pinion firmware sign` and imgtool produce the same layout and `imgtool verify` accepts the result.
///
/// Layout: 32-byte header, `erasedValue` bytes up to `headerSize` (imgtool's `--erased-val`, 0xFF), the payload, a protected TLV area with SEC_CNT
/// (when a security counter is given), then the TLV area with SHA256 of everything before it,
/// KEYHASH (SHA-256 of the key's SubjectPublicKeyInfo) and the ED25519 signature of that digest.
/// Without a key the image carries only the hash, like `imgtool sign` without `--key`.
public struct FirmwareSigner: Sendable {
    public var key: FirmwareSigningKey?
    /// ih_hdr_size: where the payload starts. 0x200 is Zephyr's default; at least 32.
    public var headerSize: UInt16
    /// ih_load_addr; a non-zero address sets the RAM_LOAD flag, as imgtool does.
    public var loadAddress: UInt32
    /// Fill between the header and the payload: the flash's erased value, as imgtool's `--erased-val` (0xFF).
    public var erasedValue: UInt8

    public init(key: FirmwareSigningKey?, headerSize: UInt16 = 0x200, loadAddress: UInt32 = 0, erasedValue: UInt8 = 0xFF) {
        self.key = key
        self.headerSize = headerSize
        self.loadAddress = loadAddress
        self.erasedValue = erasedValue
    }

    /// The signed image for `payload` (the application binary, without header).
    public func sign(payload: [UInt8], version: ImageVersion, securityCounter: UInt32?,
                     name: String = "payload") throws(FirmwareImageError) -> [UInt8] {
        guard Int(headerSize) >= MCUbootHeader.length else {
            throw FirmwareImageError(.cannotBuild, file: name, section: "MCUboot header",
                                     problem: "header size \(headerSize) is smaller than the \(MCUbootHeader.length)-byte header")
        }
        guard let imageSize = UInt32(exactly: payload.count) else {
            throw FirmwareImageError(.cannotBuild, file: name, section: "MCUboot header",
                                     problem: "a payload of \(payload.count) bytes does not fit img_size (4 GiB)")
        }
        var protectedTLVs: [MCUbootTLV] = []
        if let securityCounter {
            var value: [UInt8] = []
            value.appendLE(securityCounter)
            protectedTLVs.append(MCUbootTLV(type: MCUbootTLVType.securityCounter.rawValue, value: value, isProtected: true))
        }
        let protectedArea = protectedTLVs.isEmpty ? [] : MCUbootTLVArea.encode(protectedTLVs, protected: true)
        let header = MCUbootHeader(loadAddress: loadAddress, headerSize: headerSize,
                                   protectedTLVSize: UInt16(protectedArea.count), imageSize: imageSize,
                                   flags: loadAddress != 0 ? .ramLoad : [], version: version)
        var image = header.bytes
        image += [UInt8](repeating: erasedValue, count: Int(headerSize) - MCUbootHeader.length)
        image += payload
        image += protectedArea
        let digest = Array(SHA256.hash(data: image))
        var tlvs = [MCUbootTLV(type: MCUbootTLVType.sha256.rawValue, value: digest)]
        if let key {
            tlvs.append(MCUbootTLV(type: MCUbootTLVType.keyHash.rawValue, value: key.publicKey.keyHash))
            tlvs.append(MCUbootTLV(type: MCUbootTLVType.ed25519.rawValue, value: key.signature(for: digest)))
        }
        return image + MCUbootTLVArea.encode(tlvs, protected: false)
    }
}
