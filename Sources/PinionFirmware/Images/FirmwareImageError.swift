/// A firmware file that cannot be used, on one line: which file, which part of it, at which byte,
/// and what is wrong, e.g.
/// `fw.bin: DFU suffix (byte 4096): CRC mismatch: the suffix says 0x1df01d7a, the contents give 0x0c6e1b2f; the file is damaged or was edited after the suffix was added`.
///
/// Parsers in this folder throw only this type, never trap, whatever the input.
public struct FirmwareImageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The class of problem, for callers and tests that branch on it.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The file could not be read from disk.
        case unreadable
        /// The file is larger than any board in the catalogue holds (refused before reading it).
        case tooLarge
        /// The file has no bytes.
        case empty
        /// A structure runs past the end of the file.
        case truncated
        /// A field holds a value the format does not allow.
        case malformed
        /// A CRC or digest does not match the contents.
        case checksumMismatch
        /// Well-formed, but a variant Pinion does not handle (say, a big-endian MCUboot image).
        case unsupported
        /// The file names a USB device other than the one it is meant for.
        case wrongTarget
        /// Pinion cannot build the image asked for (say, a payload larger than 4 GiB).
        case cannotBuild
    }

    public var kind: Kind
    /// The file name as given to the loader (a path or just a name).
    public var file: String
    /// The part of the file, e.g. `DFU suffix`, `DfuSe target 1, element 0`, `MCUboot TLV area`.
    public var section: String
    /// Byte offset into the file where the problem is, when there is one.
    public var offset: Int?
    /// What is wrong, in words a technician can act on.
    public var problem: String

    public init(_ kind: Kind, file: String, section: String, offset: Int? = nil, problem: String) {
        self.kind = kind
        self.file = file
        self.section = section
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        var place = OneLine.clean(section)
        if let offset { place += " (byte \(offset))" }
        return "\(OneLine.clean(file)): \(place): \(OneLine.clean(problem))"
    }
}

/// Keeps text that came from a file or a file name on one printable line.
enum OneLine {
    static func clean(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                    || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// `0x` and a zero-padded lower-case hex number, as the specs and dfu-util write them.
enum Hex {
    static func u16(_ value: UInt16) -> String { "0x" + padded(UInt64(value), 4) }
    static func u32(_ value: UInt32) -> String { "0x" + padded(UInt64(value), 8) }
    static func padded(_ value: UInt64, _ digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
    static func bytes<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits: [Character] = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
    /// Parses an even number of hex digits; nil for anything else.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for char in text {
            guard let nibble = char.hexDigitValue else { return nil }
            if let h = high {
                out.append(h << 4 | UInt8(nibble))
                high = nil
            } else {
                high = UInt8(nibble)
            }
        }
        return high == nil ? out : nil
    }
}
