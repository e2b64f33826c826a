import ArgumentParser
import Foundation
import PinionFirmware

/// `pinion firmware inspect|verify|sign|keygen`: images and keys, offline.
struct FirmwareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firmware",
        abstract: "Inspect, verify and sign firmware images; make signing keys.",
        subcommands: [Inspect.self, Verify.self, Sign.self, Keygen.self])

    /// Options naming the trust store.
    struct TrustOptions: ParsableArguments {
        @Option(help: ArgumentHelp("Directory of trusted Ed25519 public keys (default: $PINION_TRUST_STORE, else /etc/pinion/trusted-keys).",
                                   valueName: "dir"))
        var trustStore: String?

        func load() throws -> FirmwareTrustStore { try FlashImage.trustStore(explicit: trustStore) }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an image's format, target, segments, version and signature.")
        @OptionGroup var output: OutputOptions
        @OptionGroup var trust: TrustOptions
        @Argument(help: "Image file (raw, DFU suffix, DfuSe, MCUboot).") var image: String

        func run() async throws {
            let report = try FirmwareImage.load(path: image, limit: FlashImage.offlineLimit()).inspect(trustStore: try trust.load())
            if output.json { try JSONOutput.print(report) } else { report.lines.forEach { print($0) } }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an image's hash and signature against the trust store (exit 1 if pinion flash would refuse it).")
        @OptionGroup var output: OutputOptions
        @OptionGroup var trust: TrustOptions
        @Argument(help: "Image file.") var image: String

        func run() async throws {
            let loaded = try FirmwareImage.load(path: image, limit: FlashImage.offlineLimit())
            let verdict = try FirmwarePolicy().evaluate(loaded, trustStore: try trust.load())
            if output.json { try JSONOutput.print(verdict) } else {
                print("\(image): ok, signed by \(verdict.signer ?? "?")\(verdict.version.map { ", version \($0)" } ?? "")"
                      + "\(verdict.securityCounter.map { ", security counter \($0)" } ?? "")")
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wrap a raw payload into a signed MCUboot image (as imgtool sign does, Ed25519).")
        @Option(help: ArgumentHelp("Ed25519 private key (PEM, PKCS#8).", valueName: "file")) var key: String
        @Option(help: "Image version, MAJOR.MINOR.REVISION+BUILD.") var version: String
        @Option(help: "Security counter (anti-rollback).") var securityCounter: UInt32?
        @Option(help: "Header size in bytes (the payload starts there).") var headerSize: UInt16 = 0x200
        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the signed image.", valueName: "file")) var output: String
        @Argument(help: "Raw payload file.") var payload: String

        func validate() throws {
            guard ImageVersion(version) != nil else { throw ValidationError("--version '\(version)' is not MAJOR.MINOR.REVISION+BUILD") }
        }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: payload) else { throw CommandError("cannot read payload \(payload)") }
            let signer = FirmwareSigner(key: try FirmwareSigningKey.load(path: key), headerSize: headerSize)
            let image = try signer.sign(payload: [UInt8](data), version: ImageVersion(version)!, securityCounter: securityCounter, name: payload)
            guard FileManager.default.createFile(atPath: output, contents: Data(image)) else { throw CommandError("cannot write \(output)") }
            print("\(output): \(image.count) bytes, version \(version)\(securityCounter.map { ", security counter \($0)" } ?? ""), signed")
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 signing key (mode 0600) and print its public key for the trust store.")
        @Option(name: .shortAndLong, help: ArgumentHelp("Private key file to create (never overwritten).", valueName: "file"))
        var output: String

        func run() async throws {
            let name = URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
            let key = FirmwareSigningKey.generate(name: name)
            try key.write(toPath: output)
            FileHandle.standardError.write(Data("wrote \(output) (mode 0600); put this public key in the gateways' trust store as \(name).pem:\n".utf8))
            print(key.publicKey.pem, terminator: key.publicKey.pem.hasSuffix("\n") ? "" : "\n")
        }
    }
}
