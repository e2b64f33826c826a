import Foundation
import PinionController

/// A gateway for `pinion run --simulate --config` in a directory of its own: its journal, API
/// socket, identity, ledger (and outbox) there, plus whatever tables a test adds.
struct TestGateway {
    let directory: URL
    let config: URL
    let socket: String
    let ledger: String

    /// - Parameters:
    ///   - scheduler, api: more keys for those tables.
    ///   - tcp: the API on TCP too, at this port, with this token (written to a file).
    ///   - upstream: a broker port and more `[upstream]` keys; none for no `[upstream]`.
    ///   - extra: more tables (sensors...).
    init(_ name: String, in parent: URL? = nil, scheduler: String = "", tcp: (port: Int, token: String)? = nil,
         upstream: (port: Int, keys: String)? = nil, extra: String = "") throws {
        directory = (parent ?? FileManager.default.temporaryDirectory).appendingPathComponent("pinion-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        config = directory.appendingPathComponent("pinion.toml")
        socket = directory.appendingPathComponent("api.sock").path
        ledger = directory.appendingPathComponent("ledger.jsonl").path
        var api = ""
        if let tcp {
            let tokenFile = directory.appendingPathComponent("token")
            try (tcp.token + "\n").write(to: tokenFile, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile.path)
            api = "tcp = \"127.0.0.1:\(tcp.port)\"\ntoken_file = \"\(tokenFile.path)\""
        }
        var text = """
            [scheduler]
            journal = "\(directory.appendingPathComponent("journal.sqlite").path)"
            \(scheduler)
            [api]
            socket = "\(socket)"
            \(api)
            [ledger]
            identity = "\(directory.appendingPathComponent("identity.pem").path)"
            path = "\(ledger)"

            """
        if let upstream {
            text += """
                [upstream]
                host = "127.0.0.1"
                port = \(upstream.port)
                outbox = "\(directory.appendingPathComponent("outbox.sqlite").path)"
                \(upstream.keys)

                """
        }
        try (text + extra).write(to: config, atomically: true, encoding: .utf8)
    }

    var client: ControllerClient { ControllerClient(socketPath: socket) }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
