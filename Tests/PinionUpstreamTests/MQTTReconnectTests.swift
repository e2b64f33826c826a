import Foundation
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// The client never gives up on its broker: a refused login, a failed TLS handshake or a broker
/// that went away are retried with backoff until they are mended — on the broker's side or in the
/// client's own files, which are read again before each attempt — with no restart.
@Suite("MQTT reconnection after refusals and TLS failures (real mosquitto, openssl)", .serialized,
       .enabled(if: MosquittoBroker.available() && TestCertificates.available(),
                "SKIPPED: mosquitto, mosquitto_passwd or openssl is not installed (apt-get install mosquitto mosquitto-clients openssl)"))
struct MQTTReconnectTests {
    /// Long enough for the backoff's cap (30 s) and a loaded machine.
    static let mendedWithin = 45.0

    /// Writes `source`'s bytes over the file at `path` (same inode, as an operator editing it in place would).
    static func overwriteInPlace(_ path: String, with source: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) async throws {
        _ = await eventually(timeout: .seconds(seconds)) { condition() }
    }

    static func options(_ broker: MosquittoBroker, mqtt5: Bool, clientID: String = "gw-\(UUID().uuidString.prefix(8))") -> MQTTClient.Options {
        var options = MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: clientID)
        options.protocolVersion5 = mqtt5
        return options
    }

    /// Sets `user`'s password in the broker's password file and restarts the broker.
    static func changeBrokerPassword(_ broker: MosquittoBroker, user: String, to password: String) async throws {
        let file = broker.directory.appendingPathComponent("passwords").path
        let run = try ProgramRun("/usr/bin/mosquitto_passwd", ["-b", file, user, password])
        #expect(run.status == 0, "\(run.stderr)")
        try await BlockingCall.run("restart mosquitto") {
            broker.stop()
            try broker.start()
        }
    }

    @Test(arguments: [true, false])
    func aRefusedLoginIsRetriedUntilTheBrokerTakesThePassword(mqtt5: Bool) async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: ["gateway": "old-secret"]))
        var options = Self.options(broker, mqtt5: mqtt5)
        options.username = "gateway"
        options.password = "new-secret"
        let client = try MQTTClient(options)
        let log = BrokerLoginTests.LinkLog()
        client.onLinkChange { line in log.lines.withLock { $0.append(line) } }
        try await Self.waitUntil(seconds: 10) { client.linkStatus.failedAttempts >= 2 }
        let refused = client.linkStatus
        #expect(refused.state == .waitingToRetry || refused.state == .connecting, "\(refused)")
        #expect(refused.lastError?.contains("refused the credentials of user \"gateway\"") == true, "\(refused)")
        #expect(refused.attempts >= 2 && refused.connections == 0, "\(refused)")
        #expect(!client.isConnected)

        try await Self.changeBrokerPassword(broker, user: "gateway", to: "new-secret")
        try await Self.waitUntil(seconds: Self.mendedWithin) { client.isConnected }
        #expect(client.isConnected, "\(client.linkStatus)")
        let lines = log.lines.withLock { $0 }
        #expect(lines.last == "connected to 127.0.0.1:\(broker.port)", "\(lines)")
        // Logged once per change, not once per attempt.
        #expect(lines.count == 2, "\(lines)")
        #expect(client.linkStatus.state == .connected && client.linkStatus.failedAttempts == 0)
        client.disconnect()
    }

    @Test func aPasswordFileMendedInPlaceIsReadAtTheNextAttempt() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(users: ["gateway": "right"]))
        let file = broker.directory.appendingPathComponent("client-password").path
        try "wrong\n".write(toFile: file, atomically: false, encoding: .utf8)
        var options = Self.options(broker, mqtt5: true)
        options.username = "gateway"
        options.passwordFile = file
        let client = try MQTTClient(options)
        try await Self.waitUntil(seconds: 10) { client.linkStatus.failedAttempts >= 2 }
        #expect(client.linkStatus.lastError?.contains("refused the credentials") == true, "\(client.linkStatus)")
        try "right\n".write(toFile: file, atomically: false, encoding: .utf8)
        try await Self.waitUntil(seconds: Self.mendedWithin) { client.isConnected }
        #expect(client.isConnected, "\(client.linkStatus)")
        client.disconnect()
    }

    @Test(arguments: [true, false])
    func aCAFileReplacedInPlaceEndsTheTLSFailure(mqtt5: Bool) async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(tls: true))
        let other = try TestCertificates(directory: broker.directory.appendingPathComponent("other-ca"), commonName: "Somebody else's CA")
        let clientCA = broker.directory.appendingPathComponent("client-ca.crt").path
        try FileManager.default.copyItem(atPath: other.caFile, toPath: clientCA)
        var options = Self.options(broker, mqtt5: mqtt5)
        options.caFile = clientCA
        let client = try MQTTClient(options)
        try await Self.waitUntil(seconds: 10) { client.linkStatus.failedAttempts >= 2 }
        let failing = client.linkStatus
        #expect(failing.lastError == "TLS with MQTT broker 127.0.0.1:\(broker.port) failed: certificate verify failed (is the CA file the one that signed the broker's certificate?)",
                "\(failing)")
        #expect(!client.isConnected)

        try Self.overwriteInPlace(clientCA, with: try #require(broker.certificates?.caFile))
        try await Self.waitUntil(seconds: Self.mendedWithin) { client.isConnected }
        #expect(client.isConnected, "\(client.linkStatus)")
        client.disconnect()
    }

    /// A client certificate the broker does not take (signed by another CA: TLS 1.3 reports it
    /// after the handshake, as a read error) made libmosquitto's loop exit for good. Replacing the
    /// certificate and key in place with ones the broker's CA signed lets the next attempt in.
    @Test func aClientCertificateReplacedInPlaceIsUsedAtTheNextAttempt() async throws {
        let broker = try MosquittoBroker(MosquittoBroker.Options(tls: true, requireClientCertificate: true))
        let other = try TestCertificates(directory: broker.directory.appendingPathComponent("other-ca"), commonName: "Somebody else's CA")
        let stranger = try other.issue("stranger", commonName: "gateway", server: false)
        let certificate = broker.directory.appendingPathComponent("gateway.crt").path
        let key = broker.directory.appendingPathComponent("gateway.key").path
        try FileManager.default.copyItem(atPath: stranger.certificate, toPath: certificate)
        try FileManager.default.copyItem(atPath: stranger.key, toPath: key)
        var options = Self.options(broker, mqtt5: true)
        options.caFile = broker.certificates?.caFile
        options.certificateFile = certificate
        options.keyFile = key
        let client = try MQTTClient(options)
        let log = BrokerLoginTests.LinkLog()
        client.onLinkChange { line in log.lines.withLock { $0.append(line) } }
        try await Self.waitUntil(seconds: 10) { client.linkStatus.failedAttempts >= 2 }
        #expect(!client.isConnected)
        #expect(client.linkStatus.lastError != nil, "\(client.linkStatus)")

        let issued = try broker.login()
        for (from, to) in [(issued.certificateFile, certificate), (issued.keyFile, key)] {
            try Self.overwriteInPlace(to, with: try #require(from))
        }
        try await Self.waitUntil(seconds: Self.mendedWithin) { client.isConnected }
        #expect(client.isConnected, "\(log.lines.withLock { $0 })")
        client.disconnect()
    }

    /// The CONNECT libmosquitto sent when it reconnected by itself had no Session Expiry
    /// Interval: the session ended with that connection, and a task published while the gateway
    /// was away next time was lost. Every CONNECT carries it now.
    @Test func anMQTT5SessionOutlivesAReconnectionAndAnAbsence() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let gatewayID = "gw-\(UUID().uuidString.prefix(8))"
        let received = Mutex<[String]>([])
        let record: @Sendable (MQTTClient.Event) -> Void = { event in
            if case .message(let topic, let payload) = event { received.withLock { $0.append("\(topic) \(String(decoding: payload, as: UTF8.self))") } }
        }
        let first = try MQTTClient(Self.options(broker, mqtt5: true, clientID: gatewayID))
        first.onEvent(record)
        try await Self.waitUntil(seconds: 10) { first.isConnected }
        // A plain subscription: mosquitto 2.0 does not restore shared ones from its persistence file.
        try first.subscribe("jobs/digits")
        try await broker.waitForSubscription(clientID: gatewayID, filter: "jobs/digits")
        // The broker restarts (its persistence keeps the session): the client reconnects by itself,
        // to the same session (the subscription made once still holds).
        try await BlockingCall.run("restart mosquitto") {
            broker.stop()
            try broker.start()
        }
        try await Self.waitUntil(seconds: Self.mendedWithin) { first.connectionCount == 2 && first.isConnected }
        #expect(first.connectionCount == 2, "\(first.linkStatus)")

        let producer = try MQTTClient(Self.options(broker, mqtt5: true, clientID: "producer-\(UUID().uuidString.prefix(8))"))
        let acknowledged = Atomic<Int>(0)
        producer.onEvent { if case .acknowledged = $0 { acknowledged.add(1, ordering: .relaxed) } }
        try await Self.waitUntil(seconds: 10) { producer.isConnected }
        _ = try producer.publish(topic: "jobs/digits", payload: Array("task-0".utf8))
        try await Self.waitUntil(seconds: 10) { received.withLock { $0.count } >= 1 }
        #expect(received.withLock { $0 } == ["jobs/digits task-0"])

        // Away after the reconnection; tasks come meanwhile.
        first.disconnect()
        try await Self.waitUntil(seconds: 10) { !first.isConnected }
        for index in 1...3 { _ = try producer.publish(topic: "jobs/digits", payload: Array("task-\(index)".utf8)) }
        try await Self.waitUntil(seconds: 10) { acknowledged.load(ordering: .relaxed) == 4 }
        #expect(acknowledged.load(ordering: .relaxed) == 4)

        let again = try MQTTClient(Self.options(broker, mqtt5: true, clientID: gatewayID))
        again.onEvent(record)
        try await Self.waitUntil(seconds: 10) { received.withLock { $0.count } >= 4 }
        #expect(received.withLock { $0 } == ["jobs/digits task-0", "jobs/digits task-1", "jobs/digits task-2", "jobs/digits task-3"])
        again.disconnect()
        producer.disconnect()
    }

    /// The other way to be away: the link drops (broker restarted) and a task is published before
    /// the client is back; the reconnection receives it.
    @Test func aTaskPublishedWhileTheLinkIsDownArrivesAfterTheReconnection() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let received = Mutex<[String]>([])
        var options = Self.options(broker, mqtt5: true)
        // The first retry comes no sooner than 8 s after the drop: time to restart the broker and publish meanwhile.
        options.backoff = MQTTBackoff(initial: 10, cap: 10, jitter: 0.2)
        let gateway = try MQTTClient(options)
        gateway.onEvent { event in
            if case .message(let topic, let payload) = event { received.withLock { $0.append("\(topic) \(String(decoding: payload, as: UTF8.self))") } }
        }
        try await Self.waitUntil(seconds: 10) { gateway.isConnected }
        try gateway.subscribe("jobs/digits")
        try await broker.waitForSubscription(clientID: options.clientID, filter: "jobs/digits")
        let started = Date()
        try await BlockingCall.run("restart mosquitto") {
            broker.stop()
            try broker.start()
        }
        #expect(!gateway.isConnected)
        let publish = try ProgramRun("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-V", "mqttv5",
                                                                "-t", "jobs/digits", "-m", "while-away"], timeoutSeconds: 10)
        #expect(publish.status == 0)
        // Published while the gateway was away: it had not reconnected yet.
        #expect(gateway.connectionCount == 1, "the gateway came back \(Date().timeIntervalSince(started)) s after the restart began, before the publish")
        try await Self.waitUntil(seconds: 40) { received.withLock { $0.count } >= 1 }
        #expect(received.withLock { $0 } == ["jobs/digits while-away"], "\(gateway.linkStatus)")
        gateway.disconnect()
    }
}
