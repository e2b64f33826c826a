import Foundation
import GRDB
import PinionSystem
import PinionTestSupport
import PinionUpstream
import Synchronization
import Testing

/// The outbox's bounds, on real SQLite files: what is evicted, in which order, how it is counted
/// and reported, and that nothing else is lost.
@Suite("Outbox limits and eviction")
struct OutboxEvictionTests {
    static let noticeTopic = "gw/key/outbox/evicted"

    /// An outbox in a fresh file; `remove` deletes the file. (No closure-taking helper here: with
    /// Swift 6.3.1 a closure inside `#expect` inside a closure can collide with a later closure.)
    static func makeOutbox(_ limits: Outbox.Limits) throws -> (outbox: Outbox, path: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        return (try Outbox(path: path, limits: limits), path)
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func ledger(_ seq: Int64) -> Outbox.Outgoing {
        Outbox.Outgoing(topic: "gw/key/ledger", payload: padded("L\(seq)"), kind: .ledger, sequence: seq)
    }

    static func telemetry(_ index: Int) -> Outbox.Outgoing {
        Outbox.Outgoing(topic: "gw/key/telemetry", payload: padded("T\(index)"))
    }

    /// 100 bytes, starting with `label` and a space.
    static func padded(_ label: String) -> [UInt8] {
        Array((label + " " + String(repeating: ".", count: 100)).utf8.prefix(100))
    }

    static func label(_ payload: [UInt8]) -> String { String(decoding: payload.prefix { $0 != 0x20 }, as: UTF8.self) }

    /// Stored bytes as the outbox counts them agree with the rows it holds.
    func expectAccountingHolds(_ outbox: Outbox) async throws {
        let held = try await outbox.all().reduce(0) { $0 + $1.payload.count }
        #expect(try await outbox.storedBytes() == Int64(held))
    }

    @Test func sizeEvictionTakesTheOldestTelemetryFirstAndCountsIt() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxBytes: 3000, noticeTopic: Self.noticeTopic))
        defer { Self.remove(path) }
        let logged = Mutex<[Eviction]>([])
        outbox.onEviction { eviction in logged.withLock { $0.append(eviction) } }
        for index in 0..<20 {
            try await outbox.enqueue([Self.ledger(Int64(index))])
            try await outbox.enqueue([Self.telemetry(index)])
        }
        let rows = try await outbox.all()
        let ledger = rows.filter { $0.kind == .ledger }.map { Self.label($0.payload) }
        let telemetry = rows.filter { $0.kind == .telemetry }.map { Self.label($0.payload) }
        let notices = try rows.filter { $0.kind == .notice }.map { try EvictionNotice(json: $0.payload) }
        #expect(ledger == (0..<20).map { "L\($0)" }, "no ledger entry goes while telemetry is left")
        let kept = telemetry.count
        #expect(kept > 0 && kept < 20)
        #expect(telemetry == (20 - kept..<20).map { "T\($0)" }, "the oldest telemetry goes first")
        let evictions = try await outbox.evictions()
        #expect(evictions[.telemetry] == EvictionCount(messages: Int64(20 - kept), bytes: Int64(20 - kept) * 100))
        #expect(evictions[.ledger] == EvictionCount())
        let handedOn = logged.withLock { $0 }
        #expect(handedOn.reduce(0) { $0 + $1.count } == 20 - kept, "every eviction is handed on")
        #expect(Set(handedOn.map(\.kind)) == [.telemetry] && Set(handedOn.map(\.reason)) == [.size])
        // One waiting notice: the evictions merged, with the totals.
        #expect(notices.count == 1)
        let notice = try #require(notices.first)
        #expect(notice.class == "telemetry" && notice.reason == "size" && notice.count == Int64(20 - kept))
        #expect(notice.totals["telemetry"]?.messages == Int64(20 - kept))
        #expect(notice.sequences == nil)
        let noticeRows = rows.filter { $0.kind == .notice }
        #expect(Set(noticeRows.map(\.topic)) == [Self.noticeTopic])
        let noticeBytes = noticeRows.reduce(0) { $0 + $1.payload.count }
        #expect(try await outbox.storedBytes() <= 3000 + Int64(noticeBytes))
        try await expectAccountingHolds(outbox)
    }

    @Test func ledgerEntriesGoOnlyWhenNoTelemetryIsLeftAndTheirSeqsAreReported() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxBytes: 2000, noticeTopic: Self.noticeTopic))
        defer { Self.remove(path) }
        try await outbox.enqueue((0..<5).map(Self.telemetry))
        try await outbox.enqueue((0..<30).map { Self.ledger(Int64($0)) })
        let rows = try await outbox.all()
        #expect(rows.filter { $0.kind == .telemetry }.isEmpty, "all telemetry went before any ledger entry")
        let seqs = rows.filter { $0.kind == .ledger }.compactMap(\.sequence)
        let first = try #require(seqs.first)
        #expect(first > 0)
        #expect(seqs == Array(first..<30), "the oldest ledger entries go, the rest stay in order")
        let notices = try rows.filter { $0.kind == .notice }.map { try EvictionNotice(json: $0.payload) }
        let ledgerNotice = try #require(notices.first { $0.class == "ledger" })
        #expect(ledgerNotice.sequences == [[0, first - 1]])
        #expect(ledgerNotice.count == first)
        #expect(notices.first { $0.class == "telemetry" }?.count == 5)
        let evictions = try await outbox.evictions()
        #expect(evictions[.ledger]?.messages == first)
        #expect(evictions[.telemetry]?.messages == 5)
        try await expectAccountingHolds(outbox)
    }

    @Test func ageEvictionTakesWhatIsTooOldAndKeepsNotices() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxAgeSeconds: 3600, noticeTopic: Self.noticeTopic))
        defer { Self.remove(path) }
        try await outbox.enqueue((0..<3).map(Self.telemetry) + [Self.ledger(7), Self.ledger(8)])
        #expect(try await outbox.evictExpired(now: Date().addingTimeInterval(1800)).isEmpty)
        let evictions = try await outbox.evictExpired(now: Date().addingTimeInterval(3700))
        #expect(evictions.map(\.kind) == [.telemetry, .ledger])
        #expect(evictions.map(\.count) == [3, 2])
        #expect(evictions.allSatisfy { $0.reason == .age })
        #expect(evictions[1].sequences == [7...8])
        #expect(evictions[1].description.contains("evicted 2 ledger messages"), "\(evictions[1].description)")
        #expect(evictions[1].description.contains("ledger seq 7-8"), "\(evictions[1].description)")
        let rows = try await outbox.all()
        #expect(rows.map(\.kind) == [.notice, .notice])
        // The notices are never evicted themselves.
        #expect(try await outbox.evictExpired(now: Date().addingTimeInterval(86_400)).isEmpty)
        #expect(try await outbox.count() == 2)
        try await expectAccountingHolds(outbox)
    }

    @Test func messagesClaimedForSendingAreNeverEvicted() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxBytes: 1000))
        defer { Self.remove(path) }
        try await outbox.enqueue((0..<8).map(Self.telemetry))
        let claimed = try await outbox.claim(after: 0, limit: 3)
        try await outbox.enqueue((8..<12).map(Self.telemetry))
        let labels = try await outbox.all().map { Self.label($0.payload) }
        #expect(Array(labels.prefix(3)) == ["T0", "T1", "T2"], "claimed: on the wire, so kept")
        #expect(!labels.contains("T3"), "the oldest unclaimed went instead")
        #expect(try await outbox.evictions()[.telemetry]?.messages == 3, "down to 98 % of the limit: T3, T4, T5")
        // Acknowledged: deleted, and the bytes with them.
        try await outbox.delete(claimed.map(\.id))
        try await expectAccountingHolds(outbox)
        // Released (a reconnection): evictable again.
        let again = try await outbox.claim(after: 0, limit: 2)
        outbox.release(again.map(\.id))
        try await outbox.enqueue((12..<17).map(Self.telemetry))
        #expect(try await outbox.all().contains { $0.id == again[0].id } == false)
    }

    @Test func countsSurviveAReopen() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxBytes: 500))
        defer { Self.remove(path) }
        try await outbox.enqueue((0..<10).map(Self.telemetry))
        let before = try await outbox.evictions()
        let reopened = try Outbox(path: path, limits: Outbox.Limits(maxBytes: 500))
        #expect(try await reopened.evictions() == before)
        #expect(before[.telemetry]?.messages ?? 0 >= 5)
        #expect(try await reopened.storedBytes() == outbox.storedBytes())
    }

    @Test func anOutboxFromBeforeTheLimitsIsMigrated() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // The schema as the first release wrote it (migrations v1 and v2), with two rows.
        let old = try DatabaseQueue(path: path)
        let line = #"{"hash":"ab","payload":"{\"seq\":41,\"kind\":\"receipt\"}","signature":"cd"}"#
        try await old.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v1'), ('v2: meta')")
            try db.execute(sql: "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL, created_at DOUBLE NOT NULL)")
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?), (?, ?, ?)",
                           arguments: ["p/gw/ledger", Data(line.utf8), 1.0, "p/gw/telemetry", Data("x".utf8), 2.0])
        }
        try old.close()
        let outbox = try Outbox(path: path)
        let rows = try await outbox.all()
        #expect(rows.map(\.kind) == [.ledger, .telemetry])
        #expect(rows.map(\.sequence) == [41, nil])
        #expect(try await outbox.storedBytes() == Int64(line.utf8.count + 1))
    }

    @Test func noticesMergeWhileWaitingButNotOnceClaimed() async throws {
        let (outbox, path) = try Self.makeOutbox(Outbox.Limits(maxBytes: 1000, noticeTopic: Self.noticeTopic))
        defer { Self.remove(path) }
        try await outbox.enqueue((0..<12).map(Self.telemetry))
        #expect(try await outbox.all().filter { $0.kind == .notice }.count == 1)
        // The notice goes on the wire; a later eviction writes a new one.
        let all = try await outbox.claim(after: 0, limit: 100)
        let sent = all.filter { $0.kind != .notice }.map(\.id)
        try await outbox.delete(sent)
        try await outbox.enqueue((12..<24).map(Self.telemetry))
        let notices = try await outbox.all().filter { $0.kind == .notice }.map { try EvictionNotice(json: $0.payload) }
        let rows = try await outbox.all().map { ($0.id, $0.kind, Self.label($0.payload)) }
        #expect(notices.count == 2, "\(rows)")
        #expect(notices.last?.totals["telemetry"]?.messages == (try await outbox.evictions()[.telemetry]?.messages))
    }
}

/// The eviction notice published by the upstream publisher reaches a real broker, with every
/// message that was not evicted, in order.
@Suite("Outbox eviction reported upstream (real mosquitto)", .serialized,
       .enabled(if: MosquittoBroker.available(), "SKIPPED: /usr/sbin/mosquitto is not installed (apt-get install mosquitto mosquitto-clients)"))
struct OutboxEvictionUpstreamTests {
    @Test func theNoticeAndEverythingNotEvictedArrive() async throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topic: "gw/#", clientID: "sub-\(UUID().uuidString.prefix(8))")
        try await broker.waitForSubscription(clientID: subscriber.clientID)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let outbox = try Outbox(path: path, limits: Outbox.Limits(maxBytes: 2500, noticeTopic: OutboxEvictionTests.noticeTopic))
        // The broker is not reachable yet: the outbox fills and evicts.
        for index in 0..<30 {
            try await outbox.enqueue([OutboxEvictionTests.ledger(Int64(index)), OutboxEvictionTests.telemetry(index)])
        }
        let expected = try await outbox.all().map { $0.kind == .notice ? "notice" : OutboxEvictionTests.label($0.payload) }
        #expect(try await outbox.evictions()[.ledger]?.messages ?? 0 > 0, "the limit is small enough that ledger entries go too")
        let client = try MQTTClient(MQTTClient.Options(host: "127.0.0.1", port: broker.port, clientID: "gw-\(UUID().uuidString.prefix(8))"))
        let publisher = UpstreamPublisher(outbox: outbox, client: client)
        await publisher.start()
        let lines = try await BlockingCall.run("subscriber") { subscriber.lines(atLeast: expected.count, within: 20) }
        let received = lines.map { line -> String in
            let parts = line.split(separator: " ", maxSplits: 1)
            return parts.first == Substring(OutboxEvictionTests.noticeTopic) ? "notice" : String(parts.last?.prefix { $0 != " " } ?? "")
        }
        #expect(received == expected, "every message not evicted arrives, in order, with the notices")
        let notices = try lines.filter { $0.hasPrefix(OutboxEvictionTests.noticeTopic + " ") }.map {
            try EvictionNotice(json: Array($0.dropFirst(OutboxEvictionTests.noticeTopic.count + 1).utf8))
        }
        let evictions = try await outbox.evictions()
        #expect(notices.first { $0.class == "telemetry" }?.count == evictions[.telemetry]?.messages)
        let ledgerNotice = try #require(notices.first { $0.class == "ledger" })
        #expect(ledgerNotice.count == evictions[.ledger]?.messages)
        #expect(ledgerNotice.sequences == [[0, ledgerNotice.count - 1]])
        _ = try await eventually { try await outbox.count() == 0 }
        #expect(try await outbox.count() == 0)
    }
}
