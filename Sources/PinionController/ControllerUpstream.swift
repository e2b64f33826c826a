import Foundation
import PinionScheduler
import PinionSensors
import PinionUpstream

/// The controller's link to the network, built from `[upstream]`: the MQTT client, the outbox
/// and its publisher, the ledger's publisher, and the telemetry session (Sparkplug B edge node,
/// or JSON with an online/offline state topic).
///
/// With Sparkplug, telemetry has an MQTT connection of its own, as the specification wants it
/// (clean session, QoS 0, the NDEATH as its Will), next to the durable one (a persistent session,
/// QoS 1) that carries ledger entries, task answers and tasks; both publish from the one outbox,
/// each its own lane of it. With JSON both are the same connection.
public struct ControllerUpstream: Sendable {
    public let settings: UpstreamSettings
    /// The durable connection: ledger, tasks and their answers, eviction notices.
    public let client: MQTTClient
    public let outbox: Outbox
    public let publisher: UpstreamPublisher
    /// The telemetry connection (Sparkplug's own; JSON: `client`) and its publisher.
    public let telemetryClient: MQTTClient
    public let telemetryPublisher: UpstreamPublisher
    /// The telemetry connection's protocol state: its Last Will, births, stamping.
    public let session: any PublishSession
    public let ledger: LedgerPublisher
    /// The payload format's reports; nil with `telemetry = "off"`.
    public let telemetryPayload: (any TelemetryPayload)?
    /// The gateway's key (hex), as topics name it.
    public let gateway: String
    /// The Sparkplug edge node id.
    public let node: String

    /// Opens the outbox and starts connecting (in the background: the broker may be down; the
    /// outbox holds everything until it is up).
    /// - Parameters:
    ///   - nodeMetrics: every metric of the gateway's reports, with its current value (Sparkplug's NBIRTH declares them).
    ///   - log: one line at a time: the link's changes and the outbox's evictions.
    public static func start(_ settings: UpstreamSettings, gateway: String, nodeMetrics: [TelemetryMetric] = [],
                             log: @escaping @Sendable (String) -> Void) async throws -> ControllerUpstream {
        let outbox: Outbox
        do {
            outbox = try Outbox(path: settings.outbox, limits: settings.outboxLimits(gateway: gateway))
        } catch {
            throw ControllerError("upstream: outbox \(settings.outbox): \(error)")
        }
        var options = try settings.clientOptions(clientID: settings.clientID ?? "pinion-\(gateway.prefix(16))")
        let node = settings.nodeID ?? String(gateway.prefix(16))
        guard let telemetry = TelemetryPayloadFormats.named(settings.telemetry) else {
            throw ControllerError("[upstream] telemetry: is '\(settings.telemetry)'; use \(TelemetryPayloadFormats.namesInProse)")
        }
        let (session, payload) = try await telemetry.start(TelemetryFormatStart(settings: settings, gateway: gateway, node: node,
                                                                               nodeMetrics: nodeMetrics, outbox: outbox, log: log))
        let ownConnection = telemetry.ownConnection
        if ownConnection == nil { options.will = session.will }
        let client: MQTTClient
        let telemetryClient: MQTTClient
        do {
            client = try MQTTClient(options)
            if ownConnection != nil {
                var telemetryOptions = options
                telemetryOptions.clientID = options.clientID + "-spb"
                telemetryOptions.cleanSession = true
                telemetryOptions.will = session.will
                telemetryClient = try MQTTClient(telemetryOptions)
            } else {
                telemetryClient = client
            }
        } catch {
            throw ControllerError("upstream: \(error)")
        }
        client.onLinkChange { log("upstream: \($0)") }
        if let ownConnection { telemetryClient.onLinkChange { log("upstream (\(ownConnection.label)): \($0)") } }
        outbox.onEviction { log($0.description) }
        let publisher: UpstreamPublisher
        let telemetryPublisher: UpstreamPublisher
        if let ownConnection {
            publisher = UpstreamPublisher(outbox: outbox, client: client, lane: .except(ownConnection.lane))
            telemetryPublisher = UpstreamPublisher(outbox: outbox, client: telemetryClient, session: session, lane: .only(ownConnection.lane))
            await telemetryPublisher.start()
        } else {
            publisher = UpstreamPublisher(outbox: outbox, client: client, session: session)
            telemetryPublisher = publisher
        }
        await publisher.start()
        return ControllerUpstream(settings: settings, client: client, outbox: outbox, publisher: publisher,
                                  telemetryClient: telemetryClient, telemetryPublisher: telemetryPublisher, session: session,
                                  ledger: LedgerPublisher(outbox: outbox, publisher: publisher, topicPrefix: settings.topicPrefix, gateway: gateway),
                                  telemetryPayload: payload, gateway: gateway, node: node)
    }

    /// The reporter of telemetry, unless `telemetry = "off"`.
    public func telemetryReporter(scheduler: Scheduler, linker: BoardLinker, meter: EnergyMeter?, version: String) -> TelemetryReporter? {
        telemetryPayload.map {
            TelemetryReporter(payload: $0, outbox: outbox, publisher: telemetryPublisher, scheduler: scheduler, linker: linker, meter: meter, version: version)
        }
    }

    /// The intake of tasks over MQTT, when `[upstream] tasks` names a topic: answers still owed
    /// from the last run are sent as their tasks finish, then the topic is subscribed.
    public func startTaskIntake(scheduler: Scheduler) async throws -> TaskIntake? {
        guard let subscription = settings.tasksSubscription else { return nil }
        let intake = TaskIntake(scheduler: scheduler, outbox: outbox, publisher: publisher, subscription: subscription,
                                resultsTopic: "\(settings.topicPrefix)/\(gateway)/results", gateway: gateway,
                                maxTaskBytes: settings.tasksMaxBytes)
        try await intake.start()
        return intake
    }

    /// Connects both connections to the broker `target` names, as the user it names (a reload):
    /// says goodbye on the broker in use first (Sparkplug: NDEATH; JSON: state `offline`), as a
    /// clean DISCONNECT sends no Will; the outbox keeps what is queued, and it goes to the new
    /// broker. Throws, changing nothing, when the password file cannot be read.
    public func retarget(_ target: UpstreamSettings) async throws {
        let options = try target.clientOptions(clientID: "")
        if let ca = target.caFile, let problem = MQTTClient.unreadableTLSFile(ca: ca, certificate: target.certificateFile, key: target.keyFile) {
            throw ControllerError("[upstream] \(problem)")
        }
        let goodbye = session.will
        _ = await telemetryPublisher.publishAndConfirm({ [goodbye] }, timeout: .seconds(2))
        telemetryClient.retarget(options)
        if telemetryClient !== client { client.retarget(options) }
    }

    /// Gives the outbox `grace` to drain, says goodbye (Sparkplug: the NDEATH a clean DISCONNECT
    /// does not trigger; JSON: state `offline`), and disconnects. What is left goes at the next start.
    public func stop(grace: Duration = .milliseconds(300)) async {
        try? await Task.sleep(for: grace)
        let goodbye = session.will
        // Acknowledged before DISCONNECT: on a loaded gateway a goodbye queued behind other
        // messages was still unsent when the DISCONNECT went, and the state stayed "online".
        _ = await telemetryPublisher.publishAndConfirm({ [goodbye] }, timeout: .seconds(2))
        telemetryClient.disconnect()
        if telemetryClient !== client { client.disconnect() }
        // DISCONNECT must reach the broker before the process ends, or it publishes the Will too.
        for _ in 0..<200 where client.isConnected || telemetryClient.isConnected { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// The outbox meta key of the last Sparkplug bdSeq used or about to be.
    static let bdSeqKey = "sparkplug_bdseq"

}
