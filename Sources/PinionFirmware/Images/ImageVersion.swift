/// An MCUboot image version: major.minor.revision+build, as imgtool's `--version` takes it and
/// the image header stores it (u8, u8, u16, u32).
///
/// `<` is a total order (major, minor, revision, then build). The downgrade rule uses
/// `isOlder(than:)`, which follows MCUboot's default (`MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER` off):
/// major, minor and revision decide, the build number does not. Encoded as the string `1.2.3+4` in JSON.
public struct ImageVersion: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public var major: UInt8
    public var minor: UInt8
    public var revision: UInt16
    public var build: UInt32

    public init(major: UInt8, minor: UInt8 = 0, revision: UInt16 = 0, build: UInt32 = 0) {
        self.major = major
        self.minor = minor
        self.revision = revision
        self.build = build
    }

    /// Parses `1`, `1.2`, `1.2.3` or `1.2.3+4` (each part in range); nil for anything else.
    public init?(_ text: String) {
        let (main, buildPart): (Substring, Substring?) = {
            let halves = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
            return (halves[0], halves.count > 1 ? halves[1] : nil)
        }()
        let parts = main.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let major = UInt8(parts[0]) else { return nil }
        let minor = parts.count > 1 ? UInt8(parts[1]) : 0
        let revision = parts.count > 2 ? UInt16(parts[2]) : 0
        var build: UInt32? = 0
        if let buildPart {
            build = buildPart.allSatisfy({ $0.isASCII && $0.isNumber }) ? UInt32(buildPart) : nil
        }
        guard let minor, let revision, let build else { return nil }
        self.init(major: major, minor: minor, revision: revision, build: build)
    }

    /// `1.2.3+4`, or `1.2.3` when the build number is 0.
    public var description: String {
        build == 0 ? "\(major).\(minor).\(revision)" : "\(major).\(minor).\(revision)+\(build)"
    }

    public static func < (lhs: ImageVersion, rhs: ImageVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.revision, lhs.build) < (rhs.major, rhs.minor, rhs.revision, rhs.build)
    }

    /// True when major.minor.revision is lower than `other`'s, as MCUboot decides a downgrade.
    public func isOlder(than other: ImageVersion) -> Bool {
        (major, minor, revision) < (other.major, other.minor, other.revision)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = ImageVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected a version like 1.2.3+4, got \"\(text)\""))
        }
        self = version
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
