import ArgumentParser
import PinionLedger

/// `pinion ledger verify FILE`: checks a ledger's chain and signatures offline.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Work with signed ledgers.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a ledger file's hashes, signatures, sequence and chain; name the first bad entry.")

        @Argument(help: "A ledger file (JSON lines, as the controller writes and publishes it).") var file: String
        @Option(help: ArgumentHelp("The gateway's public key (hex, pinion identity); default: the key the first entry names.", valueName: "hex"))
        var gateway: String?

        func run() async throws {
            do {
                let summary = try LedgerVerifier.verify(try LedgerVerifier.read(path: file), gatewayKey: gateway)
                print("\(file): ok: \(summary.entries) entries (\(summary.receipts) compute receipts, \(summary.energyReports) energy reports) "
                      + "signed by gateway \(summary.gateway ?? "-")\(gateway == nil ? " (the key the ledger names: pass --gateway to check it is the one you expect)" : "")")
            } catch {
                throw CommandError("\(file): \(error)")
            }
        }
    }
}
