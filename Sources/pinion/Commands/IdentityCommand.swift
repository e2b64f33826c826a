import ArgumentParser
import Foundation
import PinionController
import PinionFirmware

/// `pinion identity`: the gateway's Ed25519 identity, which signs its ledger.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Print the gateway's public key (creating the identity, mode 0600, if there is none yet).",
        subcommands: [Rotate.self])

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

    /// `pinion identity rotate`: a new key for the gateway, recorded in its ledger by the old one.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Move the gateway to a new key: a rotation entry signed by the old key names the new one, which signs every later entry.",
            discussion: """
                Uses the configuration's [ledger] identity and path. Stop pinion run first (the ledger is locked \
                while it runs). The old key is kept, renamed to <identity>.retired-<first 16 hex digits of its \
                public key>; `pinion ledger verify` follows the rotation.
                """)

        @Option(name: .customLong("config"), help: ArgumentHelp("Gateway configuration file (default: $PINION_CONFIG, else /etc/pinion/pinion.toml if it exists).", valueName: "file"))
        var configPath: String?

        func run() async throws {
            let configuration = try GatewayConfiguration.load(path: GatewayConfiguration.path(explicit: configPath))
            let outcome: IdentityRotation.Outcome
            do {
                outcome = try await IdentityRotation.rotate(identityPath: configuration.ledger.identity, ledgerPath: configuration.ledger.path)
            } catch {
                throw CommandError("\(error)")
            }
            print("rotated: \(configuration.ledger.path) seq \(outcome.entry.seq ?? -1) records the rotation from gateway \(outcome.oldKey) "
                  + "to \(outcome.newKey), signed by the old key; the new key is \(configuration.ledger.identity), the old one kept in \(outcome.retiredKey)")
            print(outcome.newKey)
        }
    }
}
