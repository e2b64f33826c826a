/// A DfuSe file (ST UM0391): an 11-byte prefix, Target records each holding elements (an address
/// and the bytes to write there), then a DFU suffix with bcdDFU 0x011A.
///
/// Prefix: `DfuSe`, bVersion 0x01, DFUImageSize (u32 LE), bTargets. Target: `Target`,
/// bAlternateSetting, bTargetNamed (u32), szTargetName[255], dwTargetSize, dwNbElements; then
/// elements: dwElementAddress, dwElementSize, data. dfuse-pack writes DFUImageSize including the
/// suffix and fwupd excluding it; both are accepted and the one found is kept in `imageSizeConvention`.
///
/// A file that parses must also be flashable: at least one target, no target without elements,
/// no element without bytes, and no two elements of one alternate setting writing the same bytes
/// (the flash planner refuses overlaps; `inspect` reports all of these as errors too).
public struct DfuSeFile: Sendable, Hashable {
    /// What DFUImageSize counts.
    public enum ImageSizeConvention: String, Sendable, Hashable, Codable {
        /// The whole file, suffix included (dfuse-pack, ST's DfuSe tools).
        case includesSuffix
        /// The file without its DFU suffix (fwupd).
        case excludesSuffix
    }

    public static let prefixLength = 11
    public static let targetPrefixLength = 274
    public static let elementHeaderLength = 8

    public var targets: [DfuSeTarget]
    public var suffix: DFUSuffix
    public var imageSizeConvention: ImageSizeConvention

    public init(targets: [DfuSeTarget], suffix: DFUSuffix = DFUSuffix(bcdDFU: DFUSuffix.dfuseVersion),
                imageSizeConvention: ImageSizeConvention = .includesSuffix) {
        self.targets = targets
        self.suffix = suffix
        self.imageSizeConvention = imageSizeConvention
    }

    /// True when the file starts with the `DfuSe` signature.
    public static func hasPrefix(_ file: [UInt8]) -> Bool {
        file.count >= 5 && Array(file[0..<5]) == Array("DfuSe".utf8)
    }

    /// Parses and bounds-checks a whole DfuSe file, suffix and CRC included.
    public static func parse(_ file: [UInt8], name: String) throws(FirmwareImageError) -> DfuSeFile {
        let reader = ByteReader(bytes: file, file: name)
        guard hasPrefix(file) else {
            throw reader.error(.malformed, "DfuSe prefix", at: 0, "the file does not start with the signature \"DfuSe\"")
        }
        guard let suffix = try DFUSuffix.parse(file, name: name) else {
            throw reader.error(.malformed, "DFU suffix", at: max(0, file.count - DFUSuffix.standardLength),
                               "a DfuSe file must end with a DFU suffix (\"UFD\" signature not found)")
        }
        guard suffix.bcdDFU == DFUSuffix.dfuseVersion else {
            throw reader.error(.malformed, "DFU suffix", at: file.count - 10,
                               "bcdDFU is \(Hex.u16(suffix.bcdDFU)), a DfuSe file has \(Hex.u16(DFUSuffix.dfuseVersion))")
        }
        let prefix = "DfuSe prefix"
        let version = try reader.u8(5, "bVersion", in: prefix)
        guard version == 1 else {
            throw reader.error(.unsupported, prefix, at: 5, "bVersion is \(version), only version 1 is defined")
        }
        let imageSize = try reader.u32(6, "DFUImageSize", in: prefix)
        let targetCount = try reader.u8(10, "bTargets", in: prefix)
        let end = file.count - Int(suffix.length)
        let convention: ImageSizeConvention
        if Int(imageSize) == file.count {
            convention = .includesSuffix
        } else if Int(imageSize) == end {
            convention = .excludesSuffix
        } else {
            throw reader.error(.malformed, prefix, at: 6,
                               "DFUImageSize is \(imageSize), expected \(file.count) (whole file) or \(end) (without the suffix)")
        }
        guard end >= prefixLength else {
            throw reader.error(.truncated, prefix, at: 0, "the file is too short for a DfuSe prefix and suffix")
        }

        guard targetCount > 0 else {
            throw reader.error(.empty, prefix, at: 10, "bTargets is 0: the file holds nothing to flash")
        }

        var targets: [DfuSeTarget] = []
        var placed: [PlacedElement] = []
        var offset = prefixLength
        for index in 0..<Int(targetCount) {
            let target = try parseTarget(reader, index: index, at: offset, end: end)
            targets.append(target.target)
            placed += target.elements
            offset = target.next
        }
        guard offset == end else {
            throw reader.error(.malformed, "DfuSe file", at: offset,
                               "\(end - offset) bytes after the last of \(targetCount) targets, before the suffix")
        }
        try checkOverlaps(placed, reader)
        return DfuSeFile(targets: targets, suffix: suffix, imageSizeConvention: convention)
    }

    /// Where an element is in the file and what it writes, for the checks across targets.
    private struct PlacedElement {
        var target: Int
        var element: Int
        var alternateSetting: UInt8
        /// Offset of its header in the file.
        var offset: Int
        var start: UInt64
        var end: UInt64

        var section: String { "DfuSe target \(target), element \(element)" }
        var span: String { "0x\(Hex.padded(start, 8))-0x\(Hex.padded(end, 8))" }
    }

    /// Two elements written through the same alternate setting must not share a byte: flash is
    /// written once per erase, and the flash planner refuses such a file.
    private static func checkOverlaps(_ placed: [PlacedElement], _ reader: ByteReader) throws(FirmwareImageError) {
        let sorted = placed.sorted { ($0.alternateSetting, $0.start, $0.target, $0.element) < ($1.alternateSetting, $1.start, $1.target, $1.element) }
        // Sorted by address within each alternate setting, an element overlaps some earlier one
        // exactly when it starts before the end of the one just before it.
        var previous: PlacedElement?
        for element in sorted {
            defer { previous = element }
            guard let earlier = previous, earlier.alternateSetting == element.alternateSetting, element.start < earlier.end else { continue }
            // Name the later of the two in the file, pointing at the earlier one.
            let (first, second) = (earlier.target, earlier.element) < (element.target, element.element) ? (earlier, element) : (element, earlier)
            let what = first.start == second.start && first.end == second.end ? "duplicates" : "overlaps"
            throw reader.error(.malformed, second.section, at: second.offset,
                               "\(second.end - second.start) bytes at \(second.span) \(what) target \(first.target), element \(first.element) "
                               + "(\(first.span)) on alt \(element.alternateSetting): a byte can be written once per erase")
        }
    }

    private static func parseTarget(_ reader: ByteReader, index: Int, at start: Int, end: Int) throws(FirmwareImageError)
        -> (target: DfuSeTarget, elements: [PlacedElement], next: Int) {
        let section = "DfuSe target \(index)"
        guard end - start >= targetPrefixLength else {
            throw reader.error(.truncated, section, at: start,
                               "the file ends inside the target prefix: it needs \(targetPrefixLength) bytes, \(max(0, end - start)) are left before the suffix")
        }
        guard Array(try reader.slice(start, 6, "the signature", in: section)) == Array("Target".utf8) else {
            throw reader.error(.malformed, section, at: start, "expected the signature \"Target\"")
        }
        let alternate = try reader.u8(start + 6, "bAlternateSetting", in: section)
        let named = try reader.u32(start + 7, "bTargetNamed", in: section)
        let nameBytes = try reader.slice(start + 11, 255, "szTargetName", in: section)
        let size = try reader.u32(start + 266, "dwTargetSize", in: section)
        let elementCount = try reader.u32(start + 270, "dwNbElements", in: section)
        guard elementCount > 0 else {
            throw reader.error(.empty, section, at: start + 270, "dwNbElements is 0: the target holds nothing to write")
        }
        let bodyStart = start + targetPrefixLength
        guard Int(size) <= end - bodyStart else {
            throw reader.error(.truncated, section, at: start + 266,
                               "dwTargetSize is \(size) but only \(end - bodyStart) bytes are left before the suffix")
        }
        let bodyEnd = bodyStart + Int(size)
        var name: String?
        if named != 0 {
            name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        var elements: [DfuSeElement] = []
        var placed: [PlacedElement] = []
        var offset = bodyStart
        var element = 0
        while UInt32(element) < elementCount {
            let where_ = "\(section), element \(element)"
            guard bodyEnd - offset >= elementHeaderLength else {
                throw reader.error(.truncated, where_, at: offset,
                                   "the target's \(size) bytes end inside element \(element) of \(elementCount)")
            }
            let address = try reader.u32(offset, "dwElementAddress", in: where_)
            let length = try reader.u32(offset + 4, "dwElementSize", in: where_)
            let dataStart = offset + elementHeaderLength
            guard Int(length) <= bodyEnd - dataStart else {
                throw reader.error(.truncated, where_, at: offset + 4,
                                   "dwElementSize is \(length) but only \(bodyEnd - dataStart) bytes of the target are left")
            }
            guard length > 0 else {
                throw reader.error(.empty, where_, at: offset + 4, "dwElementSize is 0: an element with no bytes to write at \(Hex.u32(address))")
            }
            guard UInt64(address) + UInt64(length) <= 1 << 32 else {
                throw reader.error(.malformed, where_, at: offset,
                                   "\(length) bytes at \(Hex.u32(address)) run past the end of the 32-bit address space")
            }
            let data = try reader.slice(dataStart, Int(length), "the element data", in: where_)
            elements.append(DfuSeElement(address: address, data: Array(data)))
            placed.append(PlacedElement(target: index, element: element, alternateSetting: alternate, offset: offset,
                                        start: UInt64(address), end: UInt64(address) + UInt64(length)))
            offset = dataStart + Int(length)
            element += 1
        }
        guard offset == bodyEnd else {
            throw reader.error(.malformed, section, at: offset,
                               "dwTargetSize is \(size) but its \(elementCount) elements use \(offset - bodyStart) bytes")
        }
        return (DfuSeTarget(alternateSetting: alternate, name: name, elements: elements), placed, bodyEnd)
    }

    /// The file's bytes: prefix, targets, suffix (with CRC), DFUImageSize per `imageSizeConvention`.
    /// Throws `.cannotBuild` when a size does not fit its field.
    public func encoded(name: String = "DfuSe file") throws(FirmwareImageError) -> [UInt8] {
        guard targets.count <= 255 else {
            throw FirmwareImageError(.cannotBuild, file: name, section: "DfuSe prefix",
                                     problem: "\(targets.count) targets, a DfuSe file holds at most 255")
        }
        var body: [UInt8] = []
        for (index, target) in targets.enumerated() {
            var elements: [UInt8] = []
            for element in target.elements {
                guard let length = UInt32(exactly: element.data.count) else {
                    throw FirmwareImageError(.cannotBuild, file: name, section: "DfuSe target \(index)",
                                             problem: "an element of \(element.data.count) bytes does not fit dwElementSize")
                }
                elements.appendLE(element.address)
                elements.appendLE(length)
                elements += element.data
            }
            guard let size = UInt32(exactly: elements.count), let count = UInt32(exactly: target.elements.count) else {
                throw FirmwareImageError(.cannotBuild, file: name, section: "DfuSe target \(index)",
                                         problem: "the target's elements do not fit dwTargetSize")
            }
            body += Array("Target".utf8)
            body.append(target.alternateSetting)
            var nameField = [UInt8](repeating: 0, count: 255)
            if let targetName = target.name {
                for (i, byte) in targetName.utf8.prefix(254).enumerated() { nameField[i] = byte }
            }
            body.appendLE(UInt32(target.name == nil ? 0 : 1))
            body += nameField
            body.appendLE(size)
            body.appendLE(count)
            body += elements
        }
        let withoutSuffix = DfuSeFile.prefixLength + body.count
        let total = imageSizeConvention == .includesSuffix ? withoutSuffix + DFUSuffix.standardLength : withoutSuffix
        guard let imageSize = UInt32(exactly: total) else {
            throw FirmwareImageError(.cannotBuild, file: name, section: "DfuSe prefix", problem: "the file would exceed 4 GiB")
        }
        var out = Array("DfuSe".utf8)
        out.append(1)
        out.appendLE(imageSize)
        out.append(UInt8(targets.count))
        out += body
        var suffix = self.suffix
        suffix.bcdDFU = DFUSuffix.dfuseVersion
        return suffix.appended(to: out)
    }
}

/// One Target record of a DfuSe file: the elements to write through one alternate setting
/// (on STM32 bootloaders alt 0 is usually internal flash, others option bytes or OTP).
public struct DfuSeTarget: Sendable, Hashable {
    public var alternateSetting: UInt8
    /// szTargetName when bTargetNamed is set.
    public var name: String?
    public var elements: [DfuSeElement]

    public init(alternateSetting: UInt8, name: String? = nil, elements: [DfuSeElement]) {
        self.alternateSetting = alternateSetting
        self.name = name
        self.elements = elements
    }
}

/// Bytes to write at an address, from a DfuSe element.
public struct DfuSeElement: Sendable, Hashable {
    public var address: UInt32
    public var data: [UInt8]

    public init(address: UInt32, data: [UInt8]) {
        self.address = address
        self.data = data
    }
}
