import Foundation
import PinionUSB

/// A firmware file as Pinion flashes it, whatever its format: detects the format, checks it, and
/// says what to download where, which device it is for, and its version and signature.
///
/// Detection, in order: a DFU suffix at the end (checked, then set aside); `DfuSe` at the start →
/// DfuSe file; the MCUboot magic at the start → MCUboot image (downloaded whole, its bootloader
/// checks it again); anything else → raw payload. A value; safe to share across tasks.
public struct FirmwareImage: Sendable, Hashable {
    /// The container format.
    public enum Format: String, Sendable, Hashable, Codable, CustomStringConvertible {
        /// Bytes to download as they are, no suffix.
        case raw
        /// Raw bytes with a DFU suffix (`dfu-suffix -a`).
        case dfu
        /// ST DfuSe file: addressed elements per alternate setting.
        case dfuse
        /// MCUboot image (possibly inside a DFU suffix).
        case mcuboot

        public var description: String {
            switch self {
            case .raw: "raw binary"
            case .dfu: "raw binary with DFU suffix"
            case .dfuse: "DfuSe"
            case .mcuboot: "MCUboot image"
            }
        }
    }

    /// The name used in messages (usually the path).
    public var name: String
    public var format: Format
    /// Size of the whole file.
    public var fileSize: Int
    /// The DFU suffix, when the file has one.
    public var suffix: DFUSuffix?
    /// What to download, in order. One segment without address for raw, DFU and MCUboot files;
    /// one per element for DfuSe.
    public var segments: [FirmwareSegment]
    public var dfuse: DfuSeFile?
    public var mcuboot: MCUbootImage?

    /// Detects the format of `bytes` and parses it; throws one-line errors for anything unusable.
    public static func load(_ bytes: [UInt8], name: String) throws(FirmwareImageError) -> FirmwareImage {
        guard !bytes.isEmpty else {
            throw FirmwareImageError(.empty, file: name, section: "file", problem: "the file is empty")
        }
        if DfuSeFile.hasPrefix(bytes) {
            let file = try DfuSeFile.parse(bytes, name: name)
            let segments = file.targets.flatMap { target in
                target.elements.map {
                    FirmwareSegment(alternateSetting: target.alternateSetting, targetName: target.name, address: $0.address, data: $0.data)
                }
            }
            return FirmwareImage(name: name, format: .dfuse, fileSize: bytes.count, suffix: file.suffix,
                                 segments: segments, dfuse: file, mcuboot: nil)
        }
        let (payload, suffix) = try DFUSuffix.split(bytes, name: name)
        if suffix?.bcdDFU == DFUSuffix.dfuseVersion {
            throw FirmwareImageError(.malformed, file: name, section: "DFU suffix", offset: bytes.count - 10,
                                     problem: "bcdDFU says DfuSe (0x011a) but the file does not start with \"DfuSe\"")
        }
        guard !payload.isEmpty else {
            throw FirmwareImageError(.empty, file: name, section: "file", problem: "the file holds only a DFU suffix, nothing to download")
        }
        if MCUbootImage.hasMagic(payload) || MCUbootHeader.hasBigEndianMagic(payload) {
            let image = try MCUbootImage.parse(payload, name: name)
            return FirmwareImage(name: name, format: .mcuboot, fileSize: bytes.count, suffix: suffix,
                                 segments: [FirmwareSegment(data: payload)], dfuse: nil, mcuboot: image)
        }
        return FirmwareImage(name: name, format: suffix == nil ? .raw : .dfu, fileSize: bytes.count, suffix: suffix,
                             segments: [FirmwareSegment(data: payload)], dfuse: nil, mcuboot: nil)
    }

    /// Reads and loads a file; the path is the name in messages. A file larger than `limit` is
    /// refused from its size before a byte is read; the bytes are read once, straight into the
    /// buffer the image keeps.
    public static func load(path: String, limit: FirmwareFileLimit? = nil) throws(FirmwareImageError) -> FirmwareImage {
        try load(try FirmwareFileReader.read(path: path, limit: limit), name: path)
    }

    /// The device constraint from the DFU suffix; nil when the file has no suffix.
    public var target: FirmwareTarget? { suffix?.target }

    /// Throws `.wrongTarget` naming both ids when the file's suffix is for another device.
    public func checkTarget(_ id: USBID, bcdDevice: UInt16? = nil) throws(FirmwareImageError) {
        try target?.check(id, bcdDevice: bcdDevice, file: name)
    }

    /// The MCUboot image version; nil for other formats.
    public var version: ImageVersion? { mcuboot?.header.version }

    /// The MCUboot security counter (protected SEC_CNT TLV); nil when absent or for other formats.
    public var securityCounter: UInt32? { mcuboot?.securityCounter }

    /// Total bytes to download.
    public var downloadSize: Int { segments.reduce(0) { $0 + $1.data.count } }

    /// The signature state against `trustStore`; `.unsigned` for formats that carry no signature.
    public func signatureStatus(trustStore: FirmwareTrustStore) -> MCUbootSignatureStatus {
        mcuboot?.verifySignature(with: trustStore.keys) ?? .unsigned
    }
}

/// Bytes to download in one go: for DfuSe, to an address through an alternate setting; otherwise
/// the whole payload through the alternate setting the board's catalogue entry names.
public struct FirmwareSegment: Sendable, Hashable {
    /// The DfuSe target's bAlternateSetting; nil when the file does not say.
    public var alternateSetting: UInt8?
    /// The DfuSe target's name, when it has one.
    public var targetName: String?
    /// The DfuSe element address (DfuSe "set address pointer"); nil for plain DFU downloads.
    public var address: UInt32?
    public var data: [UInt8]

    public init(alternateSetting: UInt8? = nil, targetName: String? = nil, address: UInt32? = nil, data: [UInt8]) {
        self.alternateSetting = alternateSetting
        self.targetName = targetName
        self.address = address
        self.data = data
    }
}
