/// What `pinion firmware inspect` reports about a file: Codable for `--json`, and `lines` for people.
/// Numbers that are ids or addresses are hex strings (`"1209"`, `"0x08000000"`), as the tools print them.
public struct FirmwareInspection: Sendable, Hashable, Codable {
    public var name: String
    /// `raw`, `dfu`, `dfuse` or `mcuboot`.
    public var format: FirmwareImage.Format
    public var fileSize: Int
    public var downloadSize: Int
    public var dfuSuffix: Suffix?
    public var segments: [Segment]
    public var dfuse: DfuSe?
    public var mcuboot: MCUboot?

    /// The DFU suffix fields.
    public struct Suffix: Sendable, Hashable, Codable {
        /// `1209:0003`, `any` for open fields.
        public var target: String
        public var idVendor: String
        public var idProduct: String
        public var bcdDevice: String
        public var bcdDFU: String
        public var crc: String
    }

    /// One download.
    public struct Segment: Sendable, Hashable, Codable {
        public var alternateSetting: Int?
        public var targetName: String?
        public var address: String?
        public var size: Int
    }

    /// DfuSe specifics.
    public struct DfuSe: Sendable, Hashable, Codable {
        public var targets: Int
        public var imageSizeConvention: DfuSeFile.ImageSizeConvention
    }

    /// MCUboot header, TLVs and the checks.
    public struct MCUboot: Sendable, Hashable, Codable {
        public var version: ImageVersion
        public var securityCounter: UInt32?
        public var headerSize: Int
        public var imageSize: Int
        public var loadAddress: String
        public var flags: [String]
        /// TLV type names, protected first.
        public var tlvs: [String]
        public var hashAlgorithm: String?
        public var hash: String?
        /// `valid`, `mismatch`, `missing` or `unverifiable`.
        public var hashStatus: String
        /// KEYHASH or PUBKEY of the signer, hex.
        public var signerKeyID: String?
        public var pureSignature: Bool
        /// Against the trust store given to `inspect`.
        public var signature: MCUbootSignatureStatus
    }

    /// Human-readable lines, one fact each.
    public var lines: [String] {
        var out = ["\(OneLine.clean(name)): \(format), \(fileSize) bytes, \(downloadSize) to download"]
        if let dfuSuffix {
            out.append("DFU suffix: for \(dfuSuffix.target), bcdDFU \(dfuSuffix.bcdDFU), CRC \(dfuSuffix.crc) ok")
        }
        if let dfuse {
            out.append("DfuSe: \(dfuse.targets) target(s), DFUImageSize \(dfuse.imageSizeConvention == .includesSuffix ? "includes" : "excludes") the suffix")
        }
        if format == .dfuse {
            for segment in segments {
                let alt = segment.alternateSetting.map { "alt \($0)" } ?? "alt ?"
                let named = segment.targetName.map { " \"\(OneLine.clean($0))\"" } ?? ""
                out.append("  \(alt)\(named): \(segment.size) bytes at \(segment.address ?? "?")")
            }
        }
        if let mcuboot {
            out.append("MCUboot: version \(mcuboot.version), security counter \(mcuboot.securityCounter.map(String.init) ?? "none"), header \(mcuboot.headerSize) bytes, payload \(mcuboot.imageSize) bytes\(mcuboot.flags.isEmpty ? "" : ", flags " + mcuboot.flags.joined(separator: ","))")
            out.append("hash: \(mcuboot.hashAlgorithm ?? "none") \(mcuboot.hashStatus)\(mcuboot.hash.map { " \($0)" } ?? "")")
            out.append("signature: \(mcuboot.signature)")
        }
        return out
    }
}

extension FirmwareImage {
    /// The report for `inspect`; the signature is judged against `trustStore`.
    public func inspect(trustStore: FirmwareTrustStore = .empty) -> FirmwareInspection {
        var report = FirmwareInspection(name: name, format: format, fileSize: fileSize, downloadSize: downloadSize,
                                        dfuSuffix: nil, segments: [], dfuse: nil, mcuboot: nil)
        if let suffix {
            let any = { (value: UInt16) in value == DFUSuffix.any ? "any" : Hex.padded(UInt64(value), 4) }
            report.dfuSuffix = .init(target: suffix.target.description, idVendor: any(suffix.idVendor),
                                     idProduct: any(suffix.idProduct), bcdDevice: Hex.u16(suffix.bcdDevice),
                                     bcdDFU: Hex.u16(suffix.bcdDFU), crc: Hex.u32(suffix.crc))
        }
        report.segments = segments.map {
            .init(alternateSetting: $0.alternateSetting.map(Int.init), targetName: $0.targetName,
                  address: $0.address.map(Hex.u32), size: $0.data.count)
        }
        if let dfuse {
            report.dfuse = .init(targets: dfuse.targets.count, imageSizeConvention: dfuse.imageSizeConvention)
        }
        if let image = mcuboot {
            let hashAlgorithm: String?
            let hash: String?
            let hashStatus: String
            switch image.hashCheck {
            case .valid(let algorithm, let digest): (hashAlgorithm, hash, hashStatus) = (algorithm, Hex.bytes(digest), "valid")
            case .mismatch(let algorithm, let stored, _): (hashAlgorithm, hash, hashStatus) = (algorithm, Hex.bytes(stored), "mismatch")
            case .missing: (hashAlgorithm, hash, hashStatus) = (nil, nil, "missing")
            case .unverifiable(let algorithm, _): (hashAlgorithm, hash, hashStatus) = (algorithm, nil, "unverifiable")
            }
            report.mcuboot = .init(
                version: image.header.version, securityCounter: image.securityCounter,
                headerSize: Int(image.header.headerSize), imageSize: Int(image.header.imageSize),
                loadAddress: Hex.u32(image.header.loadAddress), flags: image.header.flags.names,
                tlvs: (image.protectedTLVs + image.tlvs).map(\.typeName), hashAlgorithm: hashAlgorithm, hash: hash,
                hashStatus: hashStatus, signerKeyID: image.signerKeyID, pureSignature: image.isPureSignature,
                signature: image.verifySignature(with: trustStore.keys))
        }
        return report
    }
}
