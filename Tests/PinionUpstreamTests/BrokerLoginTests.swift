import Foundation
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// Logging in to a real mosquitto broker: passwords (`mosquitto_passwd`, anonymous refused), TLS
/// with a CA made by `openssl` at test time, and client certificates; refusals are one clear line.
@Suite("MQTT login and TLS (real mosquitto, openssl)", .serialized,
       .enabled(if: MosquittoBroker.available() && TestCertificates.available(),
                "SKIPPED: mosquitto, mosquitto_passwd or openssl is not installed (apt-get install mosquitto mosquitto-clients openssl)"))
struct BrokerLoginTests {
    static let users = ["gateway": "s3cret-gw", "observer": "watch-only"]

    /// The client's link lines, as `MQTTClient.onLinkChange` reports them.
    final class LinkLog: Sendable {
        let lines = Mutex<[String]>([])

        /// Waits up to `seconds` for a first line.
        func first(within seconds: Double) async throws -> String? {
            _ = await eventually(timeout: .seconds(seconds)) { lines.withLock { !$0.isEmpty } }
            return lines.withLock { $0.first }
        }
    }

    static func client(_ broker: MosquittoBroker, _ login: Login, mqtt5: Bool = true) throws -> (MQTTClient, LinkLog) {
        var options = MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: "gw-\(UUID().uuidString.prefix(8))")
        options.protocolVersion5 = mqtt5
        options.username = login.username
        options.password = login.password
        options.caFile = login.caFile
        options.certificateFile = login.certificateFile
        options.keyFile = login.keyFile
        let client = try MQTTClient(options)
        let log = LinkLog()
        client.onLinkChange { line in log.lines.withLock { $0.append(line) } }
        return (client, log)
    }

    /// Publishes `count` messages through an outbox and the publisher; returns what the
    /// subscriber received.
    static func publishThrough(_ client: MQTTClient, to subscriber: Subscriber, count: Int) async throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let outbox = try Outbox(path: path)
        try await outbox.enqueue((0..<count).map { ("gw/test/report", Array("m\($0)".utf8)) })
        let publisher = UpstreamPublisher(outbox: outbox, client: client)
        await publisher.start()
        return try await BlockingCall.run("subscriber") { subscriber.lines(atLeast: count, within: 15) }
    }

    @Test func theRightPasswordConnectsAndPublishes() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: Self.users))
        let subscriber = try Subscriber(port: broker.port, topic: "gw/#", clientID: "sub-\(UUID().uuidString.prefix(8))",
                                        login: try broker.login(user: "observer"))
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let (client, log) = try Self.client(broker, try broker.login(user: "gateway"))
        #expect(try await log.first(within: 10) == "connected to 127.0.0.1:\(broker.port)")
        let lines = try await Self.publishThrough(client, to: subscriber, count: 20)
        #expect(lines == (0..<20).map { "gw/test/report m\($0)" })
    }

    @Test(arguments: [true, false])
    func aWrongPasswordIsOneClearLine(mqtt5: Bool) async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: Self.users))
        let (client, log) = try Self.client(broker, Login(username: "gateway", password: "wrong"), mqtt5: mqtt5)
        let line = try #require(try await log.first(within: 10))
        #expect(line.hasPrefix("MQTT broker 127.0.0.1:\(broker.port) refused the credentials of user \"gateway\" ("), "\(line)")
        #expect(line.hasSuffix("): check the username and password"), "\(line)")
        #expect(!line.contains("\n"))
        #expect(!client.isConnected)
        // The client retries; the refusal is not logged again and again.
        try await Task.sleep(for: .milliseconds(2500))
        #expect(log.lines.withLock { $0 } == [line])
    }

    @Test func noCredentialsWhereTheyAreNeededIsSaidSo() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: Self.users))
        let (client, log) = try Self.client(broker, Login())
        let line = try #require(try await log.first(within: 10))
        #expect(!client.isConnected)
        #expect(line.hasPrefix("MQTT broker 127.0.0.1:\(broker.port) refused a connection without credentials ("), "\(line)")
    }

    @Test func tlsWithTheBrokersCAConnectsAndPublishes() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(tls: true))
        let subscriber = try Subscriber(port: broker.port, topic: "gw/#", clientID: "sub-\(UUID().uuidString.prefix(8))", login: try broker.login())
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let (client, log) = try Self.client(broker, try broker.login())
        #expect(try await log.first(within: 10) == "connected to 127.0.0.1:\(broker.port)")
        let lines = try await Self.publishThrough(client, to: subscriber, count: 10)
        #expect(lines == (0..<10).map { "gw/test/report m\($0)" })
    }

    @Test func tlsWithAnotherCAFailsClearly() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(tls: true))
        let other = try TestCertificates(directory: broker.directory.appendingPathComponent("other-ca"), commonName: "Somebody else's CA")
        let (client, log) = try Self.client(broker, Login(caFile: other.caFile))
        let line = try #require(try await log.first(within: 10))
        #expect(line == "TLS with MQTT broker 127.0.0.1:\(broker.port) failed: certificate verify failed (is the CA file the one that signed the broker's certificate?)")
        #expect(!client.isConnected)
    }

    @Test func aClientCertificateLetsTheGatewayIn() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: Self.users, tls: true, requireClientCertificate: true))
        let subscriber = try Subscriber(port: broker.port, topic: "gw/#", clientID: "sub-\(UUID().uuidString.prefix(8))",
                                        login: try broker.login(user: "observer"))
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let (client, log) = try Self.client(broker, try broker.login(user: "gateway"))
        #expect(try await log.first(within: 10) == "connected to 127.0.0.1:\(broker.port)")
        let lines = try await Self.publishThrough(client, to: subscriber, count: 10)
        #expect(lines == (0..<10).map { "gw/test/report m\($0)" })
    }

    @Test func withoutTheRequiredClientCertificateTheGatewayIsKeptOut() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(tls: true, requireClientCertificate: true))
        let (client, log) = try Self.client(broker, Login(caFile: broker.certificates?.caFile))
        let line = try #require(try await log.first(within: 10))
        // TLS 1.3: the broker's alert arrives after the client's side of the handshake, usually
        // read as such, sometimes as the connection closing under the CONNECT.
        #expect(line == "TLS with MQTT broker 127.0.0.1:\(broker.port) failed: tlsv13 alert certificate required (the broker wants a client certificate and key)"
                || line.hasPrefix("cannot connect to MQTT broker 127.0.0.1:\(broker.port) yet (")
                || line.hasPrefix("connection to MQTT broker 127.0.0.1:\(broker.port) lost: "), "\(line)")
        #expect(!client.isConnected)
    }

    @Test func aBrokerThatComesUpLaterIsConnectedTo() async throws {
        let broker = try MosquittoBroker()
        try await BlockingCall.run("stop mosquitto") { broker.stop() }
        let (client, log) = try Self.client(broker, Login())
        try await Task.sleep(for: .seconds(1))
        #expect(!client.isConnected)
        try await BlockingCall.run("start mosquitto") { try broker.start() }
        let connected = "connected to 127.0.0.1:\(broker.port)"
        // Reconnection backs off exponentially (1, 2, 4, ... up to 30 s): wait out two full steps
        // (a loaded machine stretches both the sleeps here and the client's).
        _ = await eventually(timeout: .seconds(70)) { log.lines.withLock { $0.contains(connected) } }
        let lines = log.lines.withLock { $0 }
        #expect(lines.last == connected, "\(lines)")
        #expect(client.isConnected)
    }

    @Test func anUnreadableCAFileIsNamed() throws {
        var options = MQTTClient.Options(host: "127.0.0.1", port: 1, clientID: "x")
        options.caFile = "/nonexistent/ca.crt"
        #expect(throws: MQTTError.self) { _ = try MQTTClient(options) }
        do {
            _ = try MQTTClient(options)
        } catch {
            #expect(error.description == "MQTT: TLS: cannot read the CA file /nonexistent/ca.crt")
        }
    }
}
