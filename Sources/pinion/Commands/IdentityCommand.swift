import ArgumentParser
import Foundation
import PinionController
import PinionFirmware

/// `pinion identity`: the gateway's Ed25519 identity, which signs its ledger.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Print the gateway's public key (creating the identity, mode 0600, if there is none yet).")

    static let defaultPath = "/var/lib/pinion/identity.pem"

    @Option(help: ArgumentHelp("The identity's private key file.", valueName: "file")) var key = IdentityCommand.defaultPath
    @Flag(help: "Print the public key as PEM instead of hex.") var pem = false

    func run() async throws {
        let identity = try Self.loadOrCreate(path: key) { print("created a new gateway identity in \(key) (mode 0600)") }
        print(pem ? identity.publicKey.pem : identity.publicKey.hex)
    }

    /// The identity at `path`, generated and written (mode 0600) first if the file does not exist.
    static func loadOrCreate(path: String, created: () -> Void = {}) throws -> FirmwareSigningKey {
        do { return try GatewayIdentity.loadOrCreate(path: path, created: created) } catch { throw CommandError("\(error)") }
    }
}
