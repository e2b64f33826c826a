import Foundation

/// The digit classifier shipped with Pinion and its test split (scripts/train-digits-model.py):
/// what the emulated boards run in `pinion demo`, the end-to-end tests and the benchmarks.
public enum DigitsDataset {
    /// One 8×8 test image: 64 int8 inputs, its label, and the logits the training script's integer
    /// reference computed for it.
    public struct Sample: Sendable, Hashable {
        public var input: [Int8]
        public var label: Int
        public var referenceLogits: [Int8]
    }

    /// The model file's bytes (`pinion-int8`, 64 → 32 → 10).
    public static func modelBytes() throws -> [UInt8] { try resource("digits-mlp.pnm") }

    public static func model() throws -> Int8Model { try Int8Model(bytes: try modelBytes()) }

    /// The 540 test images.
    public static func testSplit() throws -> [Sample] {
        let bytes = try resource("digits-test.bin")
        return stride(from: 0, to: bytes.count - 74, by: 75).map { offset in
            Sample(input: bytes[offset..<(offset + 64)].map { Int8(bitPattern: $0) }, label: Int(bytes[offset + 64]),
                   referenceLogits: bytes[(offset + 65)..<(offset + 75)].map { Int8(bitPattern: $0) })
        }
    }

    private static func resource(_ name: String) throws -> [UInt8] {
        if let installed = installedDirectory()?.appendingPathComponent(name),
           FileManager.default.isReadableFile(atPath: installed.path) {
            return Array(try Data(contentsOf: installed))
        }
        guard let url = Bundle.module.url(forResource: name, withExtension: nil) else {
            throw ModelError.notAModel("resource \(name) missing from the PinionModels bundle")
        }
        return Array(try Data(contentsOf: url))
    }

    /// Where an installed `pinion` keeps these files: `share/pinion/models` beside the `bin` it runs
    /// from (/usr/bin/pinion → /usr/share/pinion/models), as the Debian package lays them out.
    /// A build in a checkout has none there and reads SwiftPM's resource bundle instead, which
    /// stops the process when it is missing, so the installed place is tried first.
    static func installedDirectory(executable: URL? = Bundle.main.executableURL) -> URL? {
        guard let executable = executable?.resolvingSymlinksInPath() else { return nil }
        let directory = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/pinion/models", isDirectory: true)
        return FileManager.default.fileExists(atPath: directory.path) ? directory : nil
    }
}
