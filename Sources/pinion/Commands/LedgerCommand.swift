import ArgumentParser
import Foundation
import PinionController
import PinionLedger

/// `pinion ledger verify FILE|--from-broker`: checks a ledger's chain and signatures offline, from
/// a file or from what the gateways published to the broker. `pinion ledger repair FILE` keeps
/// what verifies of a damaged ledger file.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Work with signed ledgers.", subcommands: [Verify.self, Repair.self])

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "repair",
            abstract: "Keep the longest part of a ledger file that verifies; move the rest to a side file.",
            discussion: """
                Checks FILE from its first entry as `pinion ledger verify` does. Everything from the first line \
                that does not verify (or is not newline-terminated) on is moved, byte for byte, to \
                FILE.damaged-<unix ms>, and FILE is cut back to the entries before it. Nothing is deleted. \
                The controller must be stopped (the file is locked while it runs).
                """)

        @Argument(help: "The ledger file.") var file: String
        @Option(help: ArgumentHelp("The gateway's public key (hex): the first entry must be signed by it.", valueName: "hex"))
        var gateway: String?

        func run() async throws {
            let outcome: LedgerRepair.Outcome
            do { outcome = try LedgerRepair.repair(path: file, gatewayKey: gateway) } catch { throw CommandError("\(file): \(error)") }
            let kept = "\(outcome.kept.entries) entries\(outcome.kept.firstSeq.map { " seq \($0)…\(outcome.kept.lastSeq ?? $0)" } ?? "") (\(outcome.keptBytes) bytes)"
            guard let side = outcome.movedTo else {
                print("\(file): nothing to repair: \(kept) verify")
                return
            }
            print("\(file): kept \(kept) that verify; moved the remaining \(outcome.movedBytes) bytes to \(side) "
                  + "(first line not kept: \(outcome.reason.map { "\($0)" } ?? "-"))")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a ledger's hashes, signatures, sequence and chain; name the first bad entry.",
            discussion: """
                From a file: the whole ledger, from its first entry. With --from-broker: the entries the \
                broker of the configuration's [upstream] delivers on <topic_prefix>/<gateway>/ledger \
                (every gateway's unless --gateway), until it has been quiet for --wait seconds; each \
                gateway's entries must form an unbroken chain from the first one received. With \
                --session the broker keeps what is published between two runs for the next one.
                """)

        @Argument(help: "A ledger file (JSON lines, as the controller writes and publishes it; with its closed segments in FILE.segments/), or a directory of segments.") var file: String?
        @Flag(help: "Verify what the gateways published to the broker instead of a file.") var fromBroker = false
        @Option(help: ArgumentHelp("The gateway's public key (hex, pinion identity); default: the key the first entry names (with --from-broker: every gateway).", valueName: "hex"))
        var gateway: String?
        @Option(name: .customLong("config"), help: ArgumentHelp("Gateway configuration file whose [upstream] names the broker (default: $PINION_CONFIG, else /etc/pinion/pinion.toml).", valueName: "file"))
        var configPath: String?
        @Option(help: ArgumentHelp("MQTT client id of a persistent session: the broker keeps entries for it between runs (default: a new id each run).", valueName: "id"))
        var session: String?
        @Option(help: ArgumentHelp("With --from-broker: stop once nothing has arrived for this many seconds.", valueName: "seconds"))
        var wait: Double = 3

        func validate() throws {
            if fromBroker == (file != nil) { throw ValidationError("give a ledger FILE or --from-broker (one of them)") }
            if wait <= 0 { throw ValidationError("--wait must be more than 0 seconds") }
        }

        func run() async throws {
            if fromBroker { return try await verifyFromBroker() }
            guard let file else { return }
            do {
                let checked = try LedgerVerifier.verify(ledger: file, gatewayKey: gateway)
                let segments = checked.segments > 1 ? " in \(checked.segments) segments" : ""
                let start = checked.fromCheckpoint.map { " from the checkpoint of seq \($0.seq) (\($0.hash.prefix(16))…)" } ?? ""
                print("\(file): ok: \(Self.describe(checked.summary))\(segments)\(start)"
                      + (gateway == nil ? " (the key the ledger names: pass --gateway to check it is the one you expect)" : ""))
            } catch {
                throw CommandError("\(file): \(error)")
            }
        }

        private func verifyFromBroker() async throws {
            let configuration = try GatewayConfiguration.load(path: GatewayConfiguration.path(explicit: configPath))
            guard let settings = configuration.upstream else {
                throw CommandError("\(configuration.source ?? GatewayConfiguration.defaultPath): no [upstream]: --from-broker needs the broker's host (and login) from it")
            }
            let where_ = "\(settings.host):\(settings.port) \(settings.topicPrefix)/\(gateway ?? "+")/ledger"
            let collected = try await BrokerLedgerReader.collect(settings, gateway: gateway, clientID: session ?? "pinion-verify-\(UUID().uuidString.prefix(8))",
                                                                 quiet: .milliseconds(Int(wait * 1000)))
            var failures = collected.unreadable
            if collected.entries.isEmpty && failures.isEmpty {
                throw CommandError("\(where_): no ledger entries arrived within \(wait.formatted()) s of quiet"
                                   + (session == nil ? " (a new session sees only what is published while it listens: use --session ID and run it again)" : ""))
            }
            for (key, received) in collected.entries.sorted(by: { $0.key < $1.key }) {
                let entries = BrokerLedgerReader.ordered(received)
                do {
                    let summary = try LedgerVerifier.verifyDelivered(received, gatewayKey: gateway ?? key)
                    print("\(settings.topicPrefix)/\(key)/ledger: ok: \(Self.describe(summary))")
                } catch {
                    let seq = error.entry.flatMap { $0 < entries.count ? entries[$0].seq : nil }.map { " (seq \($0))" } ?? ""
                    failures.append("\(settings.topicPrefix)/\(key)/ledger: \(error)\(seq)")
                }
            }
            for failure in failures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
            if !failures.isEmpty { throw ExitCode(1) }
        }

        private static func describe(_ summary: LedgerVerifier.Summary) -> String {
            let range = summary.firstSeq.map { first in " seq \(first)…\(summary.lastSeq ?? first)" } ?? ""
            let rotations = summary.rotations == 0 ? "" : ", \(summary.rotations) key rotation\(summary.rotations == 1 ? "" : "s")"
            return "\(summary.entries) entries\(range) (\(summary.receipts) compute receipts, \(summary.energyReports) energy reports\(rotations)) signed"
                + (summary.rotations == 0 ? "" : ", from the last rotation on,") + " by gateway \(summary.gateway ?? "-")"
                + (summary.duplicates == 0 ? "" : "; \(summary.duplicates) duplicate deliver\(summary.duplicates == 1 ? "y" : "ies") (QoS 1) dropped")
        }
    }
}
